"""Thin AWS Lambda entry points over the shared pipeline.

`scrape.handler` and `label.handler` validate their event, resolve settings and secrets through
`runtime`, call the pipeline, and report through the Powertools objects in `observability`.
"""

"""The web app (`utoday-sentiment serve`, the `web` extra) and the self-contained overview page
(`report --html`, the dashboard on S3), which needs only Jinja2. Nothing here is imported at
the package's load: the Lambda bundle carries `static_page` and its templates, not FastAPI."""

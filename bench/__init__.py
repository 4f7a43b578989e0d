"""Benchmarks: the project's code against a naive baseline, measured in the same run.

Run `python -m bench` (or `python -m bench --quick`) from the project root after
`pip install -e ".[dev]"`. No network: the Inference API and U.Today are imitated on 127.0.0.1
(tests/fakes.py), and PostgreSQL is the embedded server (or TEST_DATABASE_URL).
"""

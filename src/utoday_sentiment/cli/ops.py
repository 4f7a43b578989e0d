"""The operators' commands: check a setup, check a deployed stack, make a model folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..settings import Settings
from .db import connect_db


def cmd_aws(args: argparse.Namespace, settings: Settings) -> int:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    from ..aws_smoke import dashboard_link, smoke

    try:
        session = boto3.Session(region_name=args.region)
        if args.aws_command == "dashboard":
            # SigV4, so the link carries the bucket's region and lives its whole 7 days
            s3 = session.client("s3", config=Config(signature_version="s3v4"))
            print(dashboard_link(args.stack, session.client("cloudformation"), s3))
            return 0
        # the scrape may take up to its 300 s timeout: wait for the answer
        slow = Config(read_timeout=330, retries={"max_attempts": 1})
        checks = smoke(args.stack, session.client("cloudformation"),
                       session.client("lambda", config=slow), session.client("cloudwatch"))
    except BotoCoreError as exc:
        raise ConfigError(
            f"cannot talk to AWS ({exc}); set credentials (`aws configure`, AWS_PROFILE) and a "
            "region (--region or AWS_REGION)"
        ) from exc
    return _print_checks(checks, as_json=args.json)


def _print_checks(checks: list[Any], *, as_json: bool) -> int:
    """One line per check (or JSON); exit 1 when any failed."""
    if as_json:
        print(json.dumps([{"check": c.name, "ok": c.ok, "detail": c.detail} for c in checks]))
    else:
        print("\n".join(c.line() for c in checks))
    return 0 if all(c.ok for c in checks) else 1


def cmd_model(args: argparse.Namespace, settings: Settings) -> int:
    from ..labelling.export import export, quantize_folder

    folder = Path(args.folder).expanduser()
    if args.model_command == "export":
        export(args.model_id, folder, quantize=args.quantize)
    else:
        quantize_folder(folder)
    size = (folder / "model.onnx").stat().st_size
    print(f"model: {folder} holds model.onnx ({size:,} bytes), tokenizer.json and config.json; "
          f"use it with SENTIMENT_BACKEND=onnx ONNX_MODEL={folder}")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from ..check import run_checks

    checks = run_checks(settings, lambda: connect_db(settings))
    return _print_checks(checks, as_json=args.json)




def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluate import cmd_evaluate as run

    return run(args, settings, lambda: connect_db(settings))

"""MigrateFunction: applies the database migrations at every deploy, as a CloudFormation custom
resource (or when invoked directly, e.g. `sam remote invoke MigrateFunction`).

CloudFormation waits for one JSON answer PUT to the request's pre-signed ResponseURL, whatever
the invocation returns. So every path answers exactly once: success, any failure (as FAILED with
the one-line reason), and the Lambda deadline (a timer answers FAILED shortly before it); Delete
answers SUCCESS at once (the schema and its data stay); the physical id never changes, so an
update is never read as a replacement. The resource's ServiceTimeout bounds the rest.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..errors import UtodayError
from . import runtime
from .observability import logger

PHYSICAL_ID = "utoday-sentiment-schema"
ANSWER_MARGIN_SECONDS = 10.0  # answer FAILED this long before the Lambda would be stopped


def migrate() -> list[str]:
    """Apply pending migrations with the admin connection; return the names applied now."""
    from ..store.connection import connect
    from ..store.migrate import migrate as apply

    settings = runtime.load_runtime_settings(need_token=False, admin=True)
    conn = connect(settings.database_url or "", application_name="utoday-sentiment-migrate")
    try:
        return apply(conn)
    finally:
        conn.close()


def answer(event: dict[str, Any], status: str, reason: str, data: dict[str, Any]) -> None:
    """PUT the one answer CloudFormation waits for (the body must stay under 4 KB)."""
    import requests

    body = json.dumps({
        "Status": status,
        "Reason": reason[:1000],
        "PhysicalResourceId": PHYSICAL_ID,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": False,
        "Data": data,
    })
    requests.put(event["ResponseURL"], data=body, headers={"Content-Type": ""}, timeout=15)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not isinstance(event, dict) or "RequestType" not in event:  # a direct invocation
        applied = migrate()
        logger.info("migrations applied", extra={"applied": applied})
        return {"ok": True, "applied": applied}
    return _custom_resource(event, context)


def _custom_resource(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    lock = threading.Lock()
    outcome: dict[str, Any] = {}

    def once(status: str, reason: str, data: dict[str, Any] | None = None) -> None:
        if not lock.acquire(blocking=False):
            return  # already answered
        outcome.update(status=status, reason=reason)
        try:
            answer(event, status, reason, data or {})
        except Exception as exc:  # noqa: BLE001 - nothing more can be done; ServiceTimeout ends it
            logger.error("could not answer CloudFormation: %s", exc)

    seconds = context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_SECONDS
    timer = threading.Timer(
        max(seconds, 1.0), once, ("FAILED", "the migrations did not finish before the timeout")
    )
    timer.daemon = True
    timer.start()
    try:
        if event["RequestType"] == "Delete":
            once("SUCCESS", "nothing to undo: the schema and its data stay")
        else:
            applied = migrate()
            once("SUCCESS", f"applied {', '.join(applied)}" if applied else "schema up to date",
                 {"Applied": ",".join(applied)})
    except UtodayError as exc:
        logger.error(str(exc), exc_info=exc)
        once("FAILED", str(exc))
    except Exception as exc:  # noqa: BLE001 - CloudFormation must hear of any failure
        logger.exception("migration failed")
        once("FAILED", f"{type(exc).__name__}: {exc}")
    finally:
        timer.cancel()
    return outcome

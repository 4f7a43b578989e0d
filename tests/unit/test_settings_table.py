"""The settings table is the one source: Settings, .env.example, docs/configuration.md's table
and template.yaml's parameters must all agree with it, and nothing else reads the environment."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.unit.test_template import template  # noqa: F401 - the parsed template fixture
from utoday_sentiment.jobs import LABEL_FIELDS, SCRAPE_FIELDS
from utoday_sentiment.settings import SETTINGS, Choice, Settings, Whole, load_settings, setting
from utoday_sentiment.settings.docs import env_example, readme_table

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python -m utoday_sentiment.settings"
CONFIGURATION = ROOT / "docs" / "configuration.md"


def test_every_settings_field_has_exactly_one_row():
    fields = {f.name for f in dataclasses.fields(Settings)}
    attrs = [s.attr for s in SETTINGS if s.attr]
    assert sorted(attrs) == sorted(fields)
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


def test_the_table_defaults_are_the_settings_defaults():
    loaded = load_settings({})
    for row in SETTINGS:
        if row.attr:
            assert getattr(loaded, row.attr) == row.default, row.name


def test_env_example_is_generated_from_the_table():
    assert (ROOT / ".env.example").read_text() == env_example(), (
        f".env.example is out of date: run `{REGENERATE} env > .env.example`"
    )


def test_the_configuration_page_table_is_generated_from_the_table():
    assert readme_table() in CONFIGURATION.read_text(), (
        f"docs/configuration.md's table is out of date: paste `{REGENERATE} docs` over it"
    )


def test_every_variable_the_docs_name_is_in_the_table():
    names = {s.name for s in SETTINGS}
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", CONFIGURATION.read_text(), re.M))
    assert documented == names - {"TEST_DATABASE_URL"}  # that one is said in prose
    example = set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert example == names


def _environment_variables(template):  # noqa: F811
    found = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            found.update(resource["Properties"].get("Environment", {}).get("Variables", {}))
    return found


def test_the_template_sets_only_variables_the_table_knows(template):  # noqa: F811
    names = {s.name for s in SETTINGS}
    assert set(_environment_variables(template)) <= names


@pytest.mark.parametrize("row", [s for s in SETTINGS if s.template], ids=lambda s: s.name)
def test_template_parameter_bounds_match_the_table(row, template):  # noqa: F811
    parameter = template["Parameters"][row.template]
    variables = _environment_variables(template)
    assert variables.get(row.name) == {"Ref": row.template}, f"{row.name} is not fed by it"
    if row.default == ():  # an empty list of names: the parameter's empty text
        assert parameter.get("Default") == "", row.template
    elif row.default is not None:
        assert str(parameter.get("Default")) == str(row.default), row.template
    if isinstance(row.kind, Whole):
        assert parameter["Type"] == "Number"
        assert parameter.get("MinValue") == row.kind.low
        assert parameter.get("MaxValue") == row.kind.high
    if isinstance(row.kind, Choice):  # the template may offer fewer (onnx is local only)
        allowed = tuple(parameter["AllowedValues"])
        assert set(allowed) <= set(row.kind.values) and allowed[0] == row.kind.values[0]


def test_requests_take_their_bounds_from_the_table():
    assert SCRAPE_FIELDS["max_pages"] == setting("UTODAY_MAX_PAGES").kind
    assert LABEL_FIELDS["batch_size"] == setting("HF_BATCH_SIZE").kind


def test_nothing_but_the_settings_table_reads_the_environment():
    reads = re.compile(r"os\.getenv\(|os\.environ\.get\(|environ\[[^\]]+\](?!\s*=)|getenv\(")
    offenders = []
    for path in (ROOT / "src").rglob("*.py"):
        if "settings" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if reads.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_a_secret_value_is_never_shown():
    from utoday_sentiment.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_settings({"DATABASE_URL": "mysql://user:s3cret@db/x"})
    assert "s3cret" not in str(info.value) and info.value.__cause__ is None
    assert "(value hidden)" in str(info.value)


def test_a_malformed_value_keeps_its_cause():
    from utoday_sentiment.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_settings({"UTODAY_MAX_PAGES": "many"})
    assert isinstance(info.value.__cause__, ValueError)

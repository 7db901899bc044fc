"""Workflow documents: parsing from YAML/JSON and validation errors that name the path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sounding.domain.orchestration import RunCondition, Strategy
from sounding.errors import ParseError, ValidationFailedError
from sounding.orchestration import parse_workflow
from sounding.orchestration.schedule import next_fire_times, parse_duration
from sounding.orchestration.spec import Schedule

FULL = """
name: nightly-shop
description: scan the shop database
strategy: pipeline
limits: {max_concurrent: 20, per_source: 4}
schedule: {cron: "0 3 * * *", timezone: Europe/Paris}
triggers:
  - {type: manual}
  - {type: workflow, workflow: ingest, status: completed}
params: {full: false}
defaults:
  retry: {attempts: 3, backoff: {initial: 2s, factor: 3, max: 1m, jitter: 0.2}}
steps:
  - id: discover
    type: discover
    config: {source: shop}
    timeout: 10m
    priority: 5
    pool: db
    pool_slots: 2
    resources: {memory_gb: 2}
  - id: profile
    type: profile
    depends_on: discover
    config: {per_object: true, source: shop}
    retry: {attempts: 5, retry_on: [SourceError], no_retry_on: [ObjectScanError]}
    skip_if: [{param: full, equals: false}]
  - id: alert
    type: notify
    depends_on: [discover, profile]
    run_if: on_failure
"""


def errors_of(doc: Any) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailedError) as info:
        parse_workflow(doc)
    return info.value.details["errors"]


def locs(doc: Any) -> set[str]:
    return {e["loc"] for e in errors_of(doc)}


def test_full_yaml_document_parses_into_typed_spec() -> None:
    spec = parse_workflow(FULL)
    assert spec.name == "nightly-shop" and spec.strategy is Strategy.PIPELINE
    assert spec.limits.max_concurrent == 20 and spec.limits.per_source == 4
    assert spec.schedule == Schedule(cron="0 3 * * *", timezone="Europe/Paris")
    assert [t.type for t in spec.triggers] == ["manual", "workflow"]
    discover, profile, alert = spec.steps
    assert discover.timeout == 600 and discover.priority == 5 and discover.source == "shop"
    assert discover.pool == "db" and discover.pool_slots == 2
    assert discover.resources == {"memory_gb": 2.0}
    assert discover.retry.attempts == 3  # from defaults
    assert discover.retry.backoff.initial == 2 and discover.retry.backoff.max == 60
    assert profile.depends_on == ("discover",) and profile.retry.attempts == 5
    assert profile.retry.retry_on == ("SourceError",)
    assert profile.skip_if[0].param == "full" and profile.skip_if[0].equals is False
    assert alert.run_if is RunCondition.ON_FAILURE
    assert spec.document["name"] == "nightly-shop"  # kept for recovery


def test_json_and_mapping_inputs_are_equivalent_to_yaml() -> None:
    doc = {
        "name": "j",
        "steps": [{"id": "a", "type": "noop"}, {"id": "b", "type": "noop", "depends_on": ["a"]}],
    }
    assert parse_workflow(json.dumps(doc)) == parse_workflow(doc)


def test_invalid_yaml_raises_parse_error_with_line() -> None:
    with pytest.raises(ParseError) as info:
        parse_workflow("name: x\nsteps: [\n  {id: a, type: noop\n")
    assert info.value.details["line"] is not None


def test_errors_name_the_path_of_every_problem() -> None:
    doc = {
        "name": "bad",
        "strategy": "fastest",
        "steps": [
            {"id": "a", "type": "noop"},
            {"id": "b", "type": "teleport", "depends_on": ["a"]},
            {"id": "c", "type": "noop", "depends_on": ["a", "nope"], "timeout": "soon"},
            {"id": "a", "type": "noop", "retry": {"attempts": 0}, "colour": "red"},
        ],
    }
    found = errors_of(doc)
    by_loc = {e["loc"]: e["msg"] for e in found}
    assert "teleport" in by_loc["steps[1].type"]
    assert "'nope'" in by_loc["steps[2].depends_on[1]"]
    assert "duplicate" in by_loc["steps[3].id"]
    assert set(by_loc) >= {
        "strategy", "steps[2].timeout", "steps[3].retry.attempts", "steps[3].colour",
    }  # fmt: skip


def test_cycle_is_rejected_and_named() -> None:
    doc = {
        "name": "loop",
        "steps": [
            {"id": "a", "type": "noop", "depends_on": ["c"]},
            {"id": "b", "type": "noop", "depends_on": ["a"]},
            {"id": "c", "type": "noop", "depends_on": ["b"]},
            {"id": "d", "type": "noop"},
        ],
    }
    (err,) = errors_of(doc)
    assert err["loc"] == "steps[0].depends_on[0]"
    assert "a -> c -> b -> a" in err["msg"]


def test_self_dependency_is_rejected() -> None:
    assert locs({"name": "s", "steps": [{"id": "a", "type": "noop", "depends_on": "a"}]}) == {
        "steps[0].depends_on[0]"
    }


@pytest.mark.parametrize(
    ("schedule", "loc"),
    [
        ("61 * * * *", "schedule.cron"),
        ({"cron": "* * *"}, "schedule.cron"),
        ({"cron": "@daily", "timezone": "Mars/Olympus"}, "schedule.timezone"),
        ({"interval": "0s"}, "schedule.interval"),
        ({"interval": "5 parsecs"}, "schedule.interval"),
        ({"cron": "@daily", "interval": 60}, "schedule"),
    ],
)
def test_bad_schedules_are_rejected(schedule: Any, loc: str) -> None:
    doc = {"name": "s", "schedule": schedule, "steps": [{"id": "a", "type": "noop"}]}
    assert loc in locs(doc)


def test_bad_triggers_are_rejected() -> None:
    doc = {
        "name": "t",
        "steps": [{"id": "a", "type": "noop"}],
        "triggers": [
            {"type": "carrier_pigeon"},
            {"type": "workflow"},
            {"type": "schedule", "cron": "bad"},
        ],
    }
    assert locs(doc) == {"triggers[0].type", "triggers[1].workflow", "triggers[2].cron"}


def test_schedules_fire_in_their_time_zone() -> None:
    after = datetime(2024, 3, 29, 12, 0, tzinfo=UTC)
    cron = next_fire_times(Schedule(cron="0 3 * * *", timezone="Europe/Paris"), after, 2)
    # 03:00 Paris is 02:00 UTC before the DST switch on 31 March, 01:00 UTC after
    assert [t.astimezone(UTC).hour for t in cron] == [2, 1]
    interval = next_fire_times(Schedule(interval=900), after, 2)
    assert [(t - after).total_seconds() for t in interval] == [900, 1800]


@pytest.mark.parametrize(
    ("text", "seconds"), [(30, 30.0), ("500ms", 0.5), ("2m", 120.0), ("1.5h", 5400.0)]
)
def test_durations(text: Any, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_step_types_from_registry_are_accepted() -> None:
    doc = {"name": "p", "steps": [{"id": "a", "type": "mine"}]}
    assert "steps[0].type" in locs(doc)
    assert parse_workflow(doc, step_types={"mine"}).steps[0].type == "mine"

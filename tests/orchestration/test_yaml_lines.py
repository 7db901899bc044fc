"""Validation paths placed on the YAML line they concern (the editor shows them there)."""

from __future__ import annotations

import pytest

from sounding.errors import ValidationFailedError
from sounding.orchestration.parsing import parse_workflow
from sounding.orchestration.yaml_lines import lines_of, path_parts

DOC = """\
name: cyclic
# a comment moves nothing
steps:
  - id: a
    type: noop
    depends_on: [c]
  - id: b
    type: noop
    depends_on:
      - a
  - id: c
    type: nope
    depends_on: b
    colour: blue
schedule:
  cron: "not cron"
"""


def test_path_parts() -> None:
    assert path_parts("steps[2].depends_on[0]") == ["steps", 2, "depends_on", 0]
    assert path_parts("schedule.cron") == ["schedule", "cron"]
    assert path_parts("") == []


def test_every_problem_of_a_real_validation_lands_on_its_line() -> None:
    with pytest.raises(ValidationFailedError) as caught:
        parse_workflow(DOC)
    errors = caught.value.details["errors"]
    lines = lines_of(DOC, [e["loc"] for e in errors])
    by_loc = {e["loc"]: lines[e["loc"]] for e in errors}
    assert by_loc["steps[2].colour"] == 14  # an unknown field: its key's line
    assert by_loc["steps[2].type"] == 12
    assert by_loc["schedule.cron"] == 16
    cycle = next(e for e in errors if "cycle" in e["msg"])
    # the cycle is reported at a dependency: a flow list item, a block item or a scalar
    assert by_loc[cycle["loc"]] in (6, 10, 13)


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        ("steps[0].depends_on[0]", 6),  # in a flow list: the list's line
        ("steps[1].depends_on[0]", 10),  # a block list item: its own line
        ("steps[2].depends_on[0]", 13),  # a scalar read as a list of one
        ("steps[1]", 7),
        ("steps[1].timeout", 7),  # missing: the step that lacks it
        ("steps[9].id", 3),  # no such step: the list
        ("", 1),
        ("name", 1),
    ],
)
def test_paths_to_lines(loc: str, line: int) -> None:
    assert lines_of(DOC, [loc])[loc] == line


def test_text_that_does_not_parse_has_no_lines() -> None:
    assert lines_of("steps: [a, b\n  - x: :", ["steps[0]"]) == {"steps[0]": None}

"""Compliance controls as pure code: PAN detection and masking, scope, controls, frameworks."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from sounding.errors import ParseError, ValidationFailedError
from sounding.features.compliance import checks as c
from sounding.features.compliance.frameworks import (
    builtin_frameworks,
    framework_from_dict,
    parse_framework,
)
from sounding.features.compliance.report import render

PAN = "4111111111111111"


@pytest.mark.parametrize(
    "value",
    [PAN, "4111 1111 1111 1111", "4111-1111-1111-1111", " 5500005555555559 ", 4111111111111111,
     "378282246310005", "6011000990139424"],
)  # fmt: skip
def test_full_luhn_valid_pans_are_readable(value: object) -> None:
    assert c.is_readable_pan(value)


@pytest.mark.parametrize(
    "value",
    [
        "**** **** **** 1111",  # masked
        "411111******1111",  # first six / last four
        "XXXX-XXXX-XXXX-1111",
        "1111",  # truncated
        "4111111111111112",  # Luhn fails
        "0000000000000000",  # passes Luhn, but no card
        "a3f5c9e1d2b4a6f8e0c1b3d5f7a9c2e4",  # hashed
        "41111111111111111111",  # 20 digits
        "tok_4111111111111111",
        None,
        True,
        "",
    ],
)
def test_masked_truncated_hashed_or_invalid_values_are_not_readable(value: object) -> None:
    assert not c.is_readable_pan(value)


def test_evidence_never_shows_more_than_the_last_four_digits() -> None:
    assert c.mask_value(PAN) == "************1111"
    assert c.mask_value("12345678") == "********"
    found = c.readable_pans([PAN, "**** 1111", "5500005555555559"])
    assert found["readable"] == 2 and found["sampled"] == 3
    assert PAN not in json.dumps(found) and all(e.startswith("****") for e in found["examples"])


def _column(name: str, labels: dict[str, str], **kw: Any) -> c.AssetFacts:
    return c.AssetFacts(id=kw.pop("id", hash(name) % 10_000), urn=f"u#{name}", type="column",
                        name=name, labels=labels, **kw)  # fmt: skip


def _table(name: str, cols: list[c.AssetFacts], **kw: Any) -> c.AssetFacts:
    table = c.AssetFacts(id=kw.pop("id", 1), urn=f"u:{name}", type="table", name=name, **kw)
    kids = tuple(c.AssetFacts(**{**col.__dict__, "parent": table}) for col in cols)
    return c.AssetFacts(**{**table.__dict__, "columns": kids})


def _fw(text: str) -> Any:
    return parse_framework(text, "test")


CARD_FW = _fw("""
id: cards
name: Cards
requirements:
  - id: PAN
    title: PAN unreadable
    severity: critical
    applies_to: {labels: [PCI], scope: column}
    controls: [values_not_readable]
""")


def _evaluate_cards(values: list[object]) -> Any:
    table = _table("t", [_column("card", {"PCI.CardNumber": "suggested"}, id=7)])
    return c.evaluate(CARD_FW, [table], {7: values})


def test_a_column_of_full_pans_fails_and_masked_or_tokenised_columns_pass() -> None:
    failed = _evaluate_cards([PAN, "5500005555555559", "4012888888881881"])
    assert [f.requirement.id for f in failed.failures] == ["PAN"]
    detail = failed.failures[0].evidence["controls"][0]
    assert detail["passed"] is False and detail["columns"]["card"]["readable"] == 3
    assert _evaluate_cards(["**** **** **** 1111", "**** 5559"]).failures == []
    rng = random.Random(3)
    tokens: list[object] = [str(rng.randrange(10**15, 10**16)) for _ in range(200)]
    tokens = [t for t in tokens if not c.luhn_ok(str(t))][:180] + [PAN] * 10  # 5 % leaked
    assert _evaluate_cards(tokens).failures == []  # below the 20 % default share
    strict = _fw(
        """
id: strict
name: Strict
requirements:
  - id: PAN
    title: no PAN at all
    severity: critical
    applies_to: {labels: [PCI.CardNumber], scope: column}
    controls: [{values_not_readable: {min_share: 0}}]
"""
    )
    table = _table("t", [_column("card", {"PCI.CardNumber": "suggested"}, id=7)])
    assert len(c.evaluate(strict, [table], {7: tokens}).failures) == 1


def test_unsampled_columns_are_unknown_not_failing_or_passing() -> None:
    table = _table("t", [_column("card", {"PCI.CardNumber": "suggested"}, id=7)])
    result = c.evaluate(CARD_FW, [table], {})
    assert result.failures == [] and result.unknown == [(7, "PAN")] and result.warnings


GOV = _fw("""
id: gov
name: Governance
requirements:
  - id: OWN
    title: owned and documented
    severity: high
    applies_to: {labels: [PII], tags: [phi]}
    controls: [has_owner, {has_property: purpose}, {has_property: retention}]
  - id: SEC
    title: restricted
    severity: critical
    applies_to: {labels: [PII.NationalId]}
    controls: [access_restricted, has_steward]
  - id: CONF
    title: confirmed
    severity: medium
    applies_to: {labels: [PII.Email], scope: column}
    controls: [classification_confirmed, {tag_present: verified}]
""")


def test_label_families_and_tags_decide_scope() -> None:
    req = GOV.requirement("OWN")
    assert req is not None
    plain = _table("plain", [_column("amount", {})])
    email = _table("people", [_column("email", {"PII.Email": "suggested"})])
    tagged = _table("visits", [_column("x", {})], tags=frozenset({"phi"}))
    not_family = _table("t", [_column("x", {"PIIX.Other": "confirmed"})])
    assert [len(c.in_scope(req, t)) for t in (plain, email, tagged, not_family)] == [0, 1, 1, 0]
    ssn = GOV.requirement("SEC")
    assert ssn is not None
    ids = _table("ids", [_column("ssn", {"PII.NationalId.US_SSN": "confirmed"})])
    assert c.in_scope(ssn, ids) == [ids] and c.in_scope(ssn, email) == []


def test_controls_report_what_they_found_and_columns_inherit_from_their_table() -> None:
    people = _table(
        "people",
        [_column("email", {"PII.Email": "suggested"}, id=5, tags=frozenset({"verified"}))],
        owner="crm@x", properties={"purpose": "orders"},
    )  # fmt: skip
    result = c.evaluate(GOV, [people], {})
    by_req = {f.requirement.id: f for f in result.failures}
    assert set(by_req) == {"OWN", "CONF"}
    assert by_req["OWN"].evidence["failed"] == ["has_property: retention"]
    owner = next(x for x in by_req["OWN"].evidence["controls"] if x["control"] == "has_owner")
    assert owner == {"control": "has_owner", "passed": True, "found": "crm@x"}
    assert by_req["CONF"].evidence["failed"] == ["classification_confirmed"]
    assert by_req["CONF"].asset.id == 5  # column scope; inherits the owner from its table
    confirmed = _table(
        "people",
        [_column("email", {"PII.Email": "confirmed"}, tags=frozenset({"verified"}))],
        owner="crm@x", properties={"purpose": "orders", "retention": "2y"},
    )  # fmt: skip
    assert c.evaluate(GOV, [confirmed], {}).failures == []


def test_access_is_restricted_by_a_tag_or_the_access_property() -> None:
    col = [_column("ssn", {"PII.NationalId": "confirmed"})]
    open_ = _table("ids", col, steward="s")
    by_tag = _table("ids", col, steward="s", tags=frozenset({"restricted"}))
    by_prop = _table("ids", col, steward="s", properties={"access": "restricted"})
    sec = [f.requirement.id for f in c.evaluate(GOV, [open_], {}).failures]
    assert "SEC" in sec
    for ok in (by_tag, by_prop):
        assert "SEC" not in [f.requirement.id for f in c.evaluate(GOV, [ok], {}).failures]


def test_builtin_frameworks_cover_gdpr_ccpa_hipaa_and_pci() -> None:
    fws = {f.id: f for f in builtin_frameworks()}
    assert set(fws) == {"gdpr", "ccpa", "hipaa", "pci_dss"}
    assert fws["pci_dss"].tag == "pci-dss"
    pan = fws["pci_dss"].requirement("PCI-3.5.1")
    assert pan is not None and pan.scope == "column" and pan.severity == "critical"
    assert pan.controls[0].name == "values_not_readable"
    gdpr_owner = fws["gdpr"].requirement("GDPR-Art5")
    assert gdpr_owner is not None and "PII.Email" in gdpr_owner.labels
    assert all(r.reference for f in fws.values() for r in f.requirements)


def _errors(data: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailedError) as exc:
        framework_from_dict(data, "test")
    return {e["loc"]: e["msg"] for e in exc.value.details["errors"]}


def test_schema_errors_name_the_path_of_the_bad_field() -> None:
    good: dict[str, Any] = {
        "id": "mine",
        "name": "Mine",
        "requirements": [
            {"id": "R1", "title": "t", "severity": "high", "applies_to": {"labels": ["PII"]},
             "controls": ["has_owner"]},
        ],
    }  # fmt: skip
    assert framework_from_dict(good).requirements[0].scope == "table"
    bad = json.loads(json.dumps(good))
    bad["requirements"][0]["severity"] = "severe"
    bad["requirements"][0]["applies_to"]["scope"] = "schema"
    errors = _errors(bad)
    assert "requirements[0].severity" in errors and "severe" in errors["requirements[0].severity"]
    assert "requirements[0].applies_to.scope" in errors
    bad = json.loads(json.dumps(good))
    bad["requirements"][0]["controls"] = ["has_owner", "has_wings", {"has_property": ""}]
    bad["requirements"].append(dict(good["requirements"][0]))
    errors = _errors(bad)
    assert "unknown control 'has_wings'" in errors["requirements[0].controls[1]"]
    assert "needs a name" in errors["requirements[0].controls[2]"]
    assert "duplicate" in errors["requirements[1].id"]
    assert "id" in " ".join(_errors({"name": "x", "requirements": []}).values())
    assert "requirements[0].controls[0]" in _errors(
        {**good, "requirements": [{**good["requirements"][0],
                                   "controls": [{"values_not_readable": {"min_share": 3}}]}]}
    )  # fmt: skip


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(ParseError) as exc:
        parse_framework("id: x\nrequirements: [\n", "mine.yaml")
    assert exc.value.details["line"] is not None and "mine.yaml" in exc.value.message


def _report() -> dict[str, Any]:
    finding = {
        "id": 1, "framework": "pci_dss", "requirement_id": "PCI-3.5.1", "requirement": "PAN",
        "reference": "3.5.1", "severity": "critical", "status": "open", "source": "w",
        "urn": "urn:sounding:w:main.pm#card_number", "justification": None, "decided_by": None,
        "first_seen": None, "last_seen": None,
        "evidence": {"failed": ["values_not_readable"], "controls": [], "labels": {}},
    }  # fmt: skip
    return {
        "framework": {"id": "pci_dss", "name": "PCI <DSS>", "version": "4.0"},
        "generated_at": "now", "source": None, "last_evaluation": None,
        "assets_in_scope": 2, "compliant_assets": 1, "coverage": 0.5,
        "open_by_severity": {"low": 0, "medium": 0, "high": 0, "critical": 1},
        "requirements": [{"id": "PCI-3.5.1", "title": "PAN", "reference": "3.5.1",
                          "severity": "critical", "assets_in_scope": 2, "open": 1,
                          "accepted": 0, "coverage": 0.5}],
        "findings": [finding],
    }  # fmt: skip


def test_reports_render_as_csv_and_self_contained_html() -> None:
    media, text = render(_report(), "csv")
    lines = text.splitlines()
    assert media == "text/csv" and lines[0].startswith("framework,requirement_id")
    assert len(lines) == 2 and "values_not_readable" in lines[1]
    media, html = render(_report(), "html")
    assert media == "text/html" and "<svg" in html and "PCI &lt;DSS&gt;" in html
    assert "50.0%" in html and "src=" not in html and "<script" not in html
    assert json.loads(render(_report(), "json")[1])["coverage"] == 0.5

"""Compliance evaluation as pure code: which assets a requirement applies to, and its controls.

The services layer gathers :class:`AssetFacts` from the catalog (tables with their columns,
curated fields, classification labels) and bounded value samples for the columns a
``values_not_readable`` control needs; :func:`evaluate` returns what is in scope and what
fails, with evidence that never holds a raw sensitive value.

Columns inherit curation from their table: a column passes ``has_owner`` when it or its table
has an owner, and the same goes for stewards, descriptions, domains, properties and tags.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sounding.domain.checksums import all_same, luhn_ok
from sounding.features.compliance.frameworks import Control, Framework, Requirement, label_matches

logger = logging.getLogger(__name__)

RESTRICTED_TAGS = frozenset({"restricted", "access-restricted", "confidential"})
CARD_LABEL = "PCI.CardNumber"
SAMPLE_LIMIT = 200
_SEPARATORS = str.maketrans("", "", " -.")


@dataclass(frozen=True)
class AssetFacts:
    """What the controls read about one table, view, dataset or column."""

    id: int
    urn: str
    type: str
    name: str
    owner: str | None = None
    steward: str | None = None
    description: str | None = None
    domain: str | None = None
    criticality: str | None = None
    tags: frozenset[str] = frozenset()
    properties: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)  # label -> status (no rejected)
    columns: tuple[AssetFacts, ...] = ()
    parent: AssetFacts | None = None

    def lineage(self) -> tuple[AssetFacts, ...]:
        return (self,) if self.parent is None else (self, self.parent)


@dataclass(frozen=True)
class Failure:
    asset: AssetFacts
    requirement: Requirement
    evidence: dict[str, Any]


@dataclass
class Evaluation:
    """One framework over a set of tables: assets in scope per requirement, and failures."""

    framework: Framework
    scope: dict[str, list[AssetFacts]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (asset id, requirement id)

    def in_scope_tables(self) -> set[int]:
        """Ids of the tables (or views, datasets) any requirement applies to."""
        return {
            (a.parent.id if a.parent is not None else a.id)
            for assets in self.scope.values()
            for a in assets
        }


# --- PANs ---------------------------------------------------------------------------------


def is_readable_pan(value: object) -> bool:
    """A full primary account number anyone can read: 13-19 digits (spaces, dashes or dots
    between groups allowed) passing Luhn. Masked (``**** 1234``), truncated, hashed or
    encrypted values are not."""
    if isinstance(value, bool) or value is None:
        return False
    digits = str(value).strip().translate(_SEPARATORS)
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    return not all_same(digits) and luhn_ok(digits)


def mask_value(value: object) -> str:
    """Show a sampled value as evidence: all but its last four characters masked."""
    text = str(value).strip()
    keep = 4 if len(text) > 8 else 0
    return "*" * (len(text) - keep) + text[len(text) - keep :]


def readable_pans(values: Sequence[object]) -> dict[str, Any]:
    readable = [v for v in values if is_readable_pan(v)]
    return {
        "sampled": len(values),
        "readable": len(readable),
        "share": round(len(readable) / len(values), 4) if values else 0.0,
        "examples": [mask_value(v) for v in readable[:3]],
    }


# --- scope ----------------------------------------------------------------------------------


def _matching_labels(asset: AssetFacts, req: Requirement) -> list[str]:
    return sorted(lb for lb in asset.labels if label_matches(lb, req.labels))


def _tag_match(asset: AssetFacts, req: Requirement) -> bool:
    return any(t in req.tags for a in asset.lineage() for t in a.tags)


def in_scope(req: Requirement, table: AssetFacts) -> list[AssetFacts]:
    """The assets of ``table`` that ``req`` applies to: the table itself, or its columns."""
    if req.scope == "column":
        return [c for c in table.columns if _matching_labels(c, req) or _tag_match(c, req)]
    hit = _tag_match(table, req) or any(
        _matching_labels(c, req) or (req.tags and set(c.tags) & set(req.tags))
        for c in table.columns
    )
    return [table] if hit else []


def scoped_labels(asset: AssetFacts, req: Requirement) -> dict[str, str]:
    """``column.label`` (or ``label`` for a column) -> status of the labels that put it in scope."""
    if asset.columns or asset.type != "column":
        return {
            f"{c.name}.{lb}": c.labels[lb] for c in asset.columns for lb in _matching_labels(c, req)
        }
    return {lb: asset.labels[lb] for lb in _matching_labels(asset, req)}


def card_columns(frameworks: Sequence[Framework], table: AssetFacts) -> list[AssetFacts]:
    """Columns of ``table`` whose values some ``values_not_readable`` control must sample."""
    out: dict[int, AssetFacts] = {}
    for fw in frameworks:
        for req in fw.requirements:
            if any(c.name == "values_not_readable" for c in req.controls):
                for asset in in_scope(req, table):
                    for col in asset.columns if asset.type != "column" else [asset]:
                        if _matching_labels(col, req) or _tag_match(col, req):
                            out[col.id] = col
    return list(out.values())


# --- controls -------------------------------------------------------------------------------

Check = tuple[bool | None, dict[str, Any]]


def _first(asset: AssetFacts, attr: str) -> Any:
    return next((getattr(a, attr) for a in asset.lineage() if getattr(a, attr)), None)


def _field(attr: str) -> Callable[..., Check]:
    def check(asset: AssetFacts, *_: Any) -> Check:
        found = _first(asset, attr)
        return bool(found), {"found": found}

    return check


def _has_property(asset: AssetFacts, arg: Any, *_: Any) -> Check:
    found = next(
        (a.properties[arg] for a in asset.lineage() if a.properties.get(arg) not in (None, "")),
        None,
    )
    return found is not None, {"property": arg, "found": found}


def _tag_present(asset: AssetFacts, arg: Any, *_: Any) -> Check:
    tags = sorted({t for a in asset.lineage() for t in a.tags})
    return arg.lower() in tags, {"tag": arg.lower(), "tags": tags}


def _access_restricted(asset: AssetFacts, *_: Any) -> Check:
    tags = sorted({t for a in asset.lineage() for t in a.tags} & RESTRICTED_TAGS)
    access = _first_property(asset, "access")
    ok = bool(tags) or str(access).lower() == "restricted"
    return ok, {"restricted_tags": tags, "access_property": access}


def _first_property(asset: AssetFacts, name: str) -> Any:
    return next((a.properties[name] for a in asset.lineage() if name in a.properties), None)


def _confirmed(asset: AssetFacts, arg: Any, req: Requirement, *_: Any) -> Check:
    labels = scoped_labels(asset, req)
    pending = sorted(k for k, status in labels.items() if status != "confirmed")
    return (not pending if labels else True), {"unconfirmed": pending}


def _not_readable(
    asset: AssetFacts, arg: Any, req: Requirement, samples: Mapping[int, Sequence[object]]
) -> Check:
    cols = [asset] if asset.type == "column" else [c for c in asset.columns if c.id in samples]
    if not any(c.id in samples for c in cols):
        return None, {"error": "values could not be sampled"}
    per_col = {c.name: readable_pans(samples[c.id]) for c in cols if c.id in samples}
    bad = [n for n, r in per_col.items() if r["readable"] and r["share"] >= arg["min_share"]]
    return not bad, {"min_share": arg["min_share"], "columns": per_col}


CHECKS: dict[str, Callable[..., Check]] = {
    "has_owner": _field("owner"),
    "has_steward": _field("steward"),
    "has_description": _field("description"),
    "has_domain": _field("domain"),
    "has_criticality": _field("criticality"),
    "has_property": _has_property,
    "tag_present": _tag_present,
    "access_restricted": _access_restricted,
    "classification_confirmed": _confirmed,
    "values_not_readable": _not_readable,
}


def run_control(
    control: Control,
    asset: AssetFacts,
    req: Requirement,
    samples: Mapping[int, Sequence[object]],
) -> dict[str, Any]:
    passed, detail = CHECKS[control.name](asset, control.arg, req, samples)
    return {"control": control.describe(), "passed": passed, **detail}


def check_requirement(
    req: Requirement, asset: AssetFacts, samples: Mapping[int, Sequence[object]]
) -> tuple[bool | None, dict[str, Any]]:
    """Whether ``asset`` passes every control of ``req`` (None: some could not be checked)."""
    results = [run_control(c, asset, req, samples) for c in req.controls]
    failed = any(r["passed"] is False for r in results)
    unknown = any(r["passed"] is None for r in results)
    evidence = {
        "labels": scoped_labels(asset, req),
        "controls": results,
        "failed": [r["control"] for r in results if r["passed"] is False],
    }
    return (False if failed else None if unknown else True), evidence


def evaluate(
    framework: Framework,
    tables: Sequence[AssetFacts],
    samples: Mapping[int, Sequence[object]],
) -> Evaluation:
    out = Evaluation(framework)
    for req in framework.requirements:
        scoped = out.scope.setdefault(req.id, [])
        for table in tables:
            for asset in in_scope(req, table):
                scoped.append(asset)
                passed, evidence = check_requirement(req, asset, samples)
                if passed is False:
                    out.failures.append(Failure(asset, req, evidence))
                elif passed is None:
                    out.unknown.append((asset.id, req.id))
                    out.warnings.append(f"{req.id} on {asset.urn}: not every control could run")
    return out

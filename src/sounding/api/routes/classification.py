"""Profiles, classifications and scan rule sets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Response

from sounding.api.deps import AssetWriter, CtxDep, Manager, PageDep, Reader, SourceReader
from sounding.api.routing import api_router
from sounding.api.schemas import (
    ClassificationDecision,
    ColumnClassificationList,
    LabeledColumnPage,
    LabelList,
    ProfilePage,
    ProfilePublic,
    RuleSetCreate,
    RuleSetList,
    RuleSetPublic,
)
from sounding.domain.classification import ColumnClassifications, RuleSetRecord
from sounding.domain.profiling import StoredProfile
from sounding.services import classification, profiling

router = api_router(tags=["classification"])


@router.get("/assets/{ref}/profile", response_model=ProfilePublic)
def asset_profile(ctx: CtxDep, who: Reader, ref: str) -> StoredProfile:
    """The newest profile; sensitive values are masked without ``pii:read``."""
    return profiling.get_profile(ctx, who, ref)


@router.get("/assets/{ref}/profile/history", response_model=ProfilePage)
def asset_profile_history(ctx: CtxDep, who: Reader, ref: str, page: PageDep) -> dict[str, Any]:
    items, total = profiling.profile_history(ctx, who, ref, page.limit, page.offset)
    return page.result(items, total)


@router.get("/assets/{ref}/classifications", response_model=ColumnClassificationList)
def asset_classifications(ctx: CtxDep, who: Reader, ref: str) -> ColumnClassifications:
    return classification.asset_classifications(ctx, who, ref)


@router.post(
    "/assets/{ref}/classifications/{label}/confirm", response_model=ColumnClassificationList
)
def confirm(
    ctx: CtxDep, who: AssetWriter, ref: str, label: str, body: ClassificationDecision | None = None
) -> ColumnClassifications:
    """Confirm a label on a column; rescans never change it again."""
    return classification.decide(ctx, who, ref, label, "confirmed", body.note if body else None)


@router.post(
    "/assets/{ref}/classifications/{label}/reject", response_model=ColumnClassificationList
)
def reject(
    ctx: CtxDep, who: AssetWriter, ref: str, label: str, body: ClassificationDecision | None = None
) -> ColumnClassifications:
    """Reject a label on a column; rescans never suggest it again."""
    return classification.decide(ctx, who, ref, label, "rejected", body.note if body else None)


@router.get("/classifications", response_model=LabeledColumnPage)
def list_classifications(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    label: str | None = None,
    status: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Every column with a label (``PII`` or ``PII.NationalId`` also find their subtypes)."""
    items, total = classification.list_classifications(
        ctx, who, label, status, source, page.limit, page.offset
    )
    return page.result(items, total)


@router.get("/classifications/labels", response_model=LabelList)
def labels(who: Reader) -> dict[str, Any]:
    """The label taxonomy with what each label detects."""
    items = classification.labels()
    return {"items": items, "total": len(items)}


@router.get("/scan-rule-sets", response_model=RuleSetList)
def list_rule_sets(ctx: CtxDep, who: SourceReader) -> dict[str, Any]:
    items = classification.list_rule_sets(ctx, who)
    return {"items": items, "total": len(items)}


@router.post("/scan-rule-sets", status_code=201, response_model=RuleSetPublic)
def put_rule_set(
    ctx: CtxDep, who: Manager, body: Annotated[RuleSetCreate, Body()]
) -> RuleSetRecord:
    """Create or replace a custom rule set (the YAML format as JSON) and attach it."""
    definition = body.model_dump(exclude={"sources"})
    return classification.put_rule_set(ctx, who, definition, body.sources)


@router.get("/scan-rule-sets/{name}", response_model=RuleSetPublic)
def get_rule_set(ctx: CtxDep, who: SourceReader, name: str) -> RuleSetRecord:
    return classification.get_rule_set(ctx, who, name)


@router.delete("/scan-rule-sets/{name}", status_code=204)
def delete_rule_set(ctx: CtxDep, who: Manager, name: str) -> Response:
    classification.delete_rule_set(ctx, who, name)
    return Response(status_code=204)

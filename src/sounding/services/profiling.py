"""Use cases for profiles: the profile stage, and reading profiles with sensitive values masked.

Every profile is kept per scan run (history); the newest is the asset's current profile.
Every figure derived from the values of a column with a label that is not rejected (min, max,
mean, quantiles, histogram bounds, top values...) is shown as ``"***"`` to anyone without
``pii:read`` on the asset (globally, or through a policy granting unmasked reads on its
domain or source); ``domain.profiling.mask_column_profile`` is the one rule, applied here, on
the only read path of stored profiles (API, CLI and reports call ``get_profile`` and
``profile_history``). Every read that shows a sensitive column's values unmasked is audited
(``pii.read``: actor, asset, columns, fields; :func:`audit_unmasked`), wherever it happens:
profiles, quality examples, classification samples, the asset page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sounding.connectors.base import Profiler
from sounding.domain.assets import Asset, AssetDetail, AssetType, DiscoveredColumn, ObjectRef
from sounding.domain.auth import Permission, Principal
from sounding.domain.profiling import (
    VALUE_FREE_FIELDS,
    SamplePolicy,
    StoredProfile,
    mask_column_profile,
)
from sounding.domain.urn import split_qualified
from sounding.errors import InvalidInputError, NotFoundError, SoundingError, SourceError
from sounding.services import catalog, sources
from sounding.services.context import Context
from sounding.services.sources import config_for, get_row
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow
from sounding.store.repos import scanning as repo

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def profile_source(
    ctx: Context,
    source: str,
    policy: SamplePolicy,
    scan_id: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The profile stage: one pushed-down profile per table, view and dataset."""
    src = get_row(ctx, source)
    with ctx.db.read() as conn:
        objects = asset_repo.objects_of(conn, src["id"])
    out: dict[str, Any] = {
        "objects": len(objects),
        "profiled": 0,
        "policy": policy.to_dict(),
        "failures": [],
    }
    with ctx.registry.open(config_for(ctx, src)) as connector:
        if not isinstance(connector, Profiler):
            raise InvalidInputError(f"Source '{source}' cannot be profiled")
        gone: SourceError | None = None
        for done, obj in enumerate(objects, 1):
            try:
                if gone is not None:
                    _fail(out["failures"], obj, sources.skipped(source, gone))
                elif profile_object(ctx, connector, obj, policy, scan_id, out["failures"]):
                    out["profiled"] += 1
            except SourceError as exc:  # the source itself is gone (see profile_object)
                _fail(out["failures"], obj, exc.message)
                gone = exc
            if progress:
                progress(done, len(objects))
    return out


def _fail(failures: list[Any], obj: dict[str, Any], message: str) -> None:
    if len(failures) < 100:
        failures.append({"target": obj["urn"], "error": message})


def profile_object(
    ctx: Context,
    connector: Profiler,
    obj: dict[str, Any],
    policy: SamplePolicy,
    scan_id: int | None,
    failures: list[Any],
) -> bool:
    """Profile one object and store the profile; False (and a failure noted) if the object
    could not be read. Raises when the source itself cannot be reached (``unreachable``)."""
    ref = ObjectRef(AssetType(obj["type"]), split_qualified(obj["qualified_name"]))
    cols = [
        DiscoveredColumn(c["name"], c["data_type"] or "", bool(c["nullable"]), c["ordinal"] or 0)
        for c in obj["columns"]
    ]
    try:
        profile = connector.profile(ref, cols, policy)
    except SoundingError as exc:
        if sources.unreachable(exc):
            raise  # not this object's fault: the caller stops asking the source
        _fail(failures, obj, exc.message)
        return False
    now, ids = utcnow(), {c["name"]: c["id"] for c in obj["columns"]}
    whole = profile.to_dict()
    rows = [
        {
            "asset_id": obj["id"],
            "scan_run_id": scan_id,
            "created_at": now,
            "row_count": profile.row_count,
            "policy": policy.to_dict(),
            "profile": whole,
        }
    ]
    rows += [
        {
            "asset_id": ids[c.name],
            "scan_run_id": scan_id,
            "created_at": now,
            "row_count": profile.row_count,
            "policy": policy.to_dict(),
            "profile": {
                **c.to_dict(),
                "row_count": profile.row_count,
                "sampled_rows": profile.sampled_rows,
            },
        }
        for c in profile.columns
        if c.name in ids
    ]
    with ctx.db.write() as conn:
        repo.insert_profiles(conn, rows)
    return True


def sensitive_columns(ctx: Context, column_ids: list[int]) -> set[int]:
    """The columns among ``column_ids`` whose values are masked for callers without
    ``pii:read``: those with a classification label that is not rejected."""
    with ctx.db.read() as conn:
        found = repo.labels_for(conn, column_ids)
    return {cid for cid, rows in found.items() if any(r["status"] != "rejected" for r in rows)}


@dataclass(frozen=True, slots=True)
class UnmaskedRead:
    """A read that showed sensitive values: which asset, columns and fields, and where."""

    urn: str
    columns: tuple[str, ...]
    fields: tuple[str, ...]
    via: str


def may_reveal(ctx: Context, actor: Principal, asset: Asset) -> bool:
    """Whether ``actor`` may read ``asset``'s sensitive values unmasked: ``pii:read`` held
    globally, or granted on one of the asset's scopes by a policy (``unmasked``)."""
    return catalog.can(ctx, actor, Permission.PII_READ, asset)


def audit_unmasked(ctx: Context, actor: Principal, reads: Iterable[UnmaskedRead]) -> None:
    """One ``pii.read`` audit record per read that showed sensitive values."""
    reads = [r for r in reads if r.columns]
    if not reads:
        return
    with ctx.db.write() as conn:
        for r in reads:
            audit.record(
                conn,
                actor.name,
                "pii.read",
                "asset",
                r.urn,
                {"columns": list(r.columns), "fields": list(r.fields), "via": r.via},
            )


def value_fields(profiles: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """The value-derived fields (what masking would hide) present in column profiles."""
    return tuple(sorted({k for p in profiles for k in p if k not in VALUE_FREE_FIELDS}))


def _view(
    ctx: Context,
    actor: Principal,
    asset: AssetDetail,
    row: dict[str, Any],
    reads: list[UnmaskedRead],
) -> StoredProfile:
    return StoredProfile(
        asset_id=asset.id,
        urn=asset.urn,
        scan_run_id=row["scan_run_id"],
        created_at=row["created_at"],
        policy=row["policy"],
        profile=_masked(ctx, actor, asset, dict(row["profile"]), reads),
    )


def _masked(
    ctx: Context,
    actor: Principal,
    asset: AssetDetail,
    profile: dict[str, Any],
    reads: list[UnmaskedRead],
) -> dict[str, Any]:
    """``profile`` as ``actor`` may see it: sensitive columns' values masked without
    ``pii:read`` on the asset; an unmasked sensitive column is added to ``reads``."""
    if asset.type == AssetType.COLUMN.value:
        if not sensitive_columns(ctx, [asset.id]):
            return profile
        if may_reveal(ctx, actor, asset):
            reads.append(UnmaskedRead(asset.urn, (asset.name,), value_fields([profile]), "profile"))
            return profile
        return mask_column_profile(profile)
    ids = {c.name: c.id for c in asset.columns}
    sensitive = sensitive_columns(ctx, list(ids.values()))
    cols: Sequence[dict[str, Any]] = profile.get("columns", [])
    hit = [c for c in cols if ids.get(c["name"]) in sensitive]
    if not hit:
        return profile
    if may_reveal(ctx, actor, asset):
        names = tuple(str(c["name"]) for c in hit)
        reads.append(UnmaskedRead(asset.urn, names, value_fields(hit), "profile"))
        return profile
    profile["columns"] = [
        mask_column_profile(c) if ids.get(c["name"]) in sensitive else c for c in cols
    ]
    return profile


def get_profile(ctx: Context, actor: Principal, ref: str) -> StoredProfile:
    asset = catalog.get_asset(ctx, actor, ref)
    with ctx.db.read() as conn:
        rows = repo.profile_history(conn, asset.id, 1, 0)
    if not rows:
        raise NotFoundError(
            f"{asset.urn} has no profile yet; run `sounding scan {asset.source} --profile`",
            asset=asset.urn,
        )
    reads: list[UnmaskedRead] = []
    view = _view(ctx, actor, asset, rows[0], reads)
    audit_unmasked(ctx, actor, reads)
    return view


def profile_history(
    ctx: Context, actor: Principal, ref: str, limit: int, offset: int
) -> tuple[list[StoredProfile], int]:
    asset = catalog.get_asset(ctx, actor, ref)
    with ctx.db.read() as conn:
        rows = repo.profile_history(conn, asset.id, limit, offset)
        total = repo.count_profiles(conn, asset.id)
    reads: list[UnmaskedRead] = []
    views = [_view(ctx, actor, asset, r, reads) for r in rows]
    audit_unmasked(ctx, actor, reads)
    return views, total

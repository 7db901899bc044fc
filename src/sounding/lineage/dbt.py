"""dbt ``manifest.json`` -> models with their relations, dependencies and compiled SQL (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sounding.domain.dialects import dialect_for
from sounding.errors import InvalidInputError, ParseError

ADAPTER_DIALECTS = {  # dbt adapters that are not a Sounding backend -> sqlglot dialect
    "redshift": "redshift",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "databricks": "databricks",
    "spark": "sparksql",
    "trino": "trino",
    "sqlserver": "tsql",
    "oracle": "oracle",
    "athena": "athena",
}


@dataclass(frozen=True)
class DbtModel:
    unique_id: str
    relation: str  # database.schema.alias, lower case, as the model is materialized
    depends_on: tuple[str, ...]  # relations of the models, seeds, snapshots and sources it reads
    compiled_sql: str | None


@dataclass(frozen=True)
class DbtManifest:
    dialect: str
    models: tuple[DbtModel, ...]


def _relation(node: Mapping[str, Any]) -> str:
    parts = [
        node.get("database"),
        node.get("schema"),
        node.get("alias") or node.get("identifier") or node.get("name"),
    ]
    return ".".join(str(p).strip('"`').lower() for p in parts if p)


def read_manifest(path: Path) -> DbtManifest:
    """Read a dbt manifest (any schema version from v4 on: nodes, sources, depends_on)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"Cannot read dbt manifest {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{path} is not JSON: {exc.msg} (line {exc.lineno})", line=exc.lineno, column=exc.colno
        ) from exc
    if not isinstance(data, Mapping) or "nodes" not in data:
        raise InvalidInputError(f"{path} is not a dbt manifest: it has no 'nodes'")
    adapter = str((data.get("metadata") or {}).get("adapter_type") or "").lower()
    relations = {uid: _relation(n) for uid, n in (data.get("nodes") or {}).items()}
    relations.update({uid: _relation(s) for uid, s in (data.get("sources") or {}).items()})
    models = []
    for uid, node in sorted((data.get("nodes") or {}).items()):
        if node.get("resource_type") not in ("model", "snapshot", "seed"):
            continue
        deps = tuple(
            relations[d]
            for d in (node.get("depends_on") or {}).get("nodes") or []
            if d in relations
        )
        sql = node.get("compiled_code") or node.get("compiled_sql")
        models.append(DbtModel(uid, relations[uid], deps, sql))
    return DbtManifest(adapter_dialect(adapter), tuple(models))


def adapter_dialect(adapter: str) -> str:
    """The sqlglot dialect of a dbt adapter type: a known adapter's, else the registered SQL
    backend of that name's (a new backend's adapter needs no entry here), else ansi."""
    if adapter in ADAPTER_DIALECTS:
        return ADAPTER_DIALECTS[adapter]
    backend = dialect_for(adapter)
    return backend.sqlglot if backend is not None and backend.sqlglot else "ansi"

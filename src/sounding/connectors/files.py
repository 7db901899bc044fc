"""Directories of data files (``file:///abs/dir``, or a plain directory path), read by DuckDB.

Every CSV, TSV, Parquet, JSON and NDJSON file (optionally ``.gz``/``.zst`` compressed) under the
directory is a dataset whose path is its relative POSIX path. A directory that holds one
dataset split into parts is one dataset, named by the directory's relative path:

- part files of one format (``events/part-0001.parquet``, ``data_0.csv``, ``chunk-3.json``);
- Hive-style partitions (``sales/year=2024/month=01/anything.parquet``), whose keys become
  columns and are listed in ``properties["partition_keys"]``.

Names starting with ``.`` or ``_`` (``_SUCCESS``, ``.crc``, ``_delta_log``) are ignored.
Columns have DuckDB's types; row counts are exact. A file DuckDB cannot read is an
``ObjectFailure`` with DuckDB's message.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb

from sounding.connectors.base import Capabilities, Connector, SourceConfig, missing_path
from sounding.connectors.duckdb_sandbox import not_a_query, sandboxed_connect
from sounding.connectors.profiling_duckdb import (
    count_rows,
    deadline,
    profile_duckdb,
    quote_literal,
    sample_duckdb,
)
from sounding.connectors.profiling_run import QueryError
from sounding.domain.assets import (
    AssetType,
    DiscoveredColumn,
    DiscoveredObject,
    ObjectFailure,
    ObjectRef,
)
from sounding.domain.dialects.duckdb import DUCKDB
from sounding.domain.profiling import SamplePolicy, TableProfile
from sounding.domain.quality import QueryTarget
from sounding.errors import (
    ConnectionFailedError,
    ObjectScanError,
    SourceTimeoutError,
    UnsupportedSourceError,
)

logger = logging.getLogger(__name__)

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
COMPRESSION_SUFFIXES = frozenset({".gz", ".zst"})

# DuckDB table function and extra options per format; files are always the bound $files.
_READERS = {
    "csv": ("read_csv_auto", ""),
    "tsv": ("read_csv_auto", "delim = '\t', "),
    "parquet": ("read_parquet", ""),
    "json": ("read_json_auto", ""),
    "ndjson": ("read_json_auto", "format = 'newline_delimited', "),
}


_PART_FILE = re.compile(r"^(?:part|data|chunk)[-_]?\d+|^part-", re.IGNORECASE)
_HIVE_DIR = re.compile(r"^[^=]+=[^=]*$")


def file_format(name: str) -> str | None:
    """``"a.csv.gz"`` -> ``"csv"``; None for files that are not data files."""
    suffixes = [s.lower() for s in PurePosixPath(name).suffixes]
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes.pop()
    return FORMATS.get(suffixes[-1]) if suffixes else None


def _visible(entry: os.DirEntry[str]) -> bool:
    return not entry.name.startswith((".", "_"))


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as it:
            return sorted((e for e in it if _visible(e)), key=lambda e: e.name)
    except OSError as exc:
        logger.warning("Cannot read directory %s: %s", directory, exc)
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    return entry.is_dir(follow_symlinks=False)  # no symlink loops


@dataclass(frozen=True)
class Dataset:
    """One dataset on disk: a file, or a directory of part files / Hive partitions."""

    rel: str
    format: str
    files: tuple[Path, ...]
    partition_keys: tuple[str, ...] = ()

    @property
    def is_hive(self) -> bool:
        return bool(self.partition_keys)


def _hive_files(directory: Path) -> list[Path] | None:
    """Data files under a tree of ``key=value`` directories, or None if the tree is not
    purely Hive-style."""
    files: list[Path] = []
    for entry in _entries(directory):
        if _is_dir(entry):
            sub = _hive_files(Path(entry.path)) if _HIVE_DIR.match(entry.name) else None
            if sub is None:
                return None
            files.extend(sub)
        elif file_format(entry.name):
            files.append(Path(entry.path))
    return files


def partitioned_dataset(directory: Path, rel: str) -> Dataset | None:
    """The directory as one dataset, if it holds only part files or only Hive partitions."""
    entries = _entries(directory)
    subdirs = [e for e in entries if _is_dir(e)]
    data_files = [e for e in entries if not _is_dir(e) and file_format(e.name)]
    keys: tuple[str, ...] = ()
    if subdirs and not data_files:
        hive = _hive_files(directory)
        if not hive:
            return None
        files = hive
        levels = files[0].relative_to(directory).parts[:-1]
        keys = tuple(level.split("=", 1)[0] for level in levels)
    elif data_files and not subdirs and all(_PART_FILE.match(e.name) for e in data_files):
        files = [Path(e.path) for e in data_files]
    else:
        return None
    formats = {file_format(f.name) for f in files}
    if len(formats) != 1:
        return None
    (fmt,) = formats
    assert fmt is not None
    return Dataset(rel, fmt, tuple(files), keys)


def find_datasets(root: Path) -> list[Dataset]:
    """Every dataset under root, depth first, in name order."""
    datasets: list[Dataset] = []

    def walk(directory: Path, rel: PurePosixPath | None) -> None:
        if rel is not None:
            dataset = partitioned_dataset(directory, rel.as_posix())
            if dataset is not None:
                datasets.append(dataset)
                return
        for entry in _entries(directory):
            child_rel = PurePosixPath(entry.name) if rel is None else rel / entry.name
            if _is_dir(entry):
                walk(Path(entry.path), child_rel)
            elif (fmt := file_format(entry.name)) is not None:
                datasets.append(Dataset(child_rel.as_posix(), fmt, (Path(entry.path),)))

    walk(root, None)
    return datasets


def dataset_at(root: Path, rel: str) -> Dataset | None:
    """Resolve a listed dataset path again (it may have changed since listing). Paths that
    would leave the root (absolute, ``..``) resolve to nothing."""
    parts = PurePosixPath(rel)
    if not rel or parts.is_absolute() or ".." in parts.parts:
        return None
    target = root / rel
    if target.is_dir():
        return partitioned_dataset(target, rel)
    fmt = file_format(target.name)
    if target.is_file() and fmt is not None:
        return Dataset(rel, fmt, (target,))
    return None


_GLOB = re.compile(r"([*?\[])")


def glob_escape(path: Path) -> str:
    """The path as DuckDB's readers take it: they expand ``*``, ``?`` and ``[...]``, so a
    file named ``a[1].csv`` would read ``a1.csv``; each is matched literally as ``[c]``."""
    return _GLOB.sub(r"[\1]", str(path))


def _relation(dataset: Dataset, files: str = "$files") -> str:
    """The reader call; ``files`` is the bound ``$files`` or a literal list (for profiling,
    whose statements take no parameters)."""
    function, options = _READERS[dataset.format]
    hive = str(dataset.is_hive).lower()
    union = str(len(dataset.files) > 1).lower()
    return f"{function}({files}, {options}hive_partitioning = {hive}, union_by_name = {union})"


def _literal_relation(dataset: Dataset) -> str:
    listed = ", ".join(quote_literal(glob_escape(f)) for f in dataset.files)
    return _relation(dataset, f"[{listed}]")


def _error_text(exc: BaseException) -> str:
    """DuckDB's message without the echo of our query it appends."""
    return str(exc).split("\n\nLINE ", 1)[0].strip()


def root_from_url(url: str) -> Path:
    if "://" not in url:
        return Path(url).expanduser().resolve()
    parsed = urlparse(url)
    if parsed.scheme.lower() != "file" or parsed.netloc not in ("", "localhost"):
        raise UnsupportedSourceError("Not a file URL: use file:///absolute/path/to/dir", url=url)
    path = unquote(parsed.path)
    if not path.startswith("/"):
        raise UnsupportedSourceError("A file URL needs an absolute path: file:///data/dir", url=url)
    return Path(path).resolve()


class FileConnector:
    kind = "files"
    capabilities = Capabilities(views=False, foreign_keys=False, files=True)
    container_types: tuple[AssetType, ...] = ()

    def __init__(self, config: SourceConfig, root: Path) -> None:
        self.config = config
        self.root = root
        self._con: duckdb.DuckDBPyConnection | None = None

    def _check_root(self) -> None:
        if not self.root.is_dir() or not os.access(self.root, os.R_OK | os.X_OK):
            raise ConnectionFailedError(
                f"Failed to connect to source {self.config.name!r}: "
                f"{self.root} is not a readable directory",
                source=self.config.name,
                path=str(self.root),
            )

    def _duckdb(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:  # reads files under the source's root only (user SQL runs here)
            self._con = sandboxed_connect(":memory:", allowed_directories=[self.root])
        return self._con

    def test(self) -> dict[str, Any]:
        self._check_root()
        formats: dict[str, int] = {}
        datasets = find_datasets(self.root)
        for dataset in datasets:
            formats[dataset.format] = formats.get(dataset.format, 0) + 1
        return {
            "path": str(self.root),
            "datasets": len(datasets),
            "formats": formats,
            "duckdb_version": duckdb.__version__,
        }

    def list_objects(self) -> list[ObjectRef]:
        self._check_root()
        refs = (ObjectRef(AssetType.DATASET, (d.rel,)) for d in find_datasets(self.root))
        return self.config.select(refs)

    def describe(self, refs: Sequence[ObjectRef]) -> Iterator[DiscoveredObject | ObjectFailure]:
        self._check_root()
        with self._duckdb().cursor() as cur:  # a cursor per call: safe across threads
            for ref in refs:
                dataset = dataset_at(self.root, ref.name)
                if dataset is None:
                    yield ObjectFailure(ref, f"Dataset {ref.name!r} was not found", "NotFoundError")
                    continue
                try:
                    with deadline(cur, self.config):
                        described = self._describe(cur, ref, dataset)
                    yield described
                except SourceTimeoutError as exc:  # one huge file: the others still count
                    yield ObjectFailure(ref, exc.message, "SourceTimeoutError")
                except (duckdb.Error, OSError) as exc:
                    logger.warning("Could not read dataset %s: %s", ref.name, _error_text(exc))
                    yield ObjectFailure(ref, _error_text(exc), "ObjectScanError")

    def _describe(
        self, cur: duckdb.DuckDBPyConnection, ref: ObjectRef, dataset: Dataset
    ) -> DiscoveredObject:
        relation = _relation(dataset)
        params = {"files": [glob_escape(f) for f in dataset.files]}
        described = cur.execute(f"DESCRIBE SELECT * FROM {relation}", params).fetchall()
        row = cur.execute(f"SELECT count(*) FROM {relation}", params).fetchone()
        properties: dict[str, Any] = {
            "format": dataset.format,
            "files": len(dataset.files),
            "path": str(self.root / dataset.rel),
        }
        if dataset.partition_keys:
            properties["partition_keys"] = list(dataset.partition_keys)
        return DiscoveredObject(
            ref=ref,
            columns=tuple(
                DiscoveredColumn(name=name, data_type=data_type, nullable=null != "NO", ordinal=i)
                for i, (name, data_type, null, *_) in enumerate(described, start=1)
            ),
            row_count=int(row[0]) if row else None,
            row_count_exact=row is not None,
            size_bytes=sum(f.stat().st_size for f in dataset.files),
            properties=properties,
        )

    def _dataset(self, ref: ObjectRef) -> Dataset:
        self._check_root()
        dataset = dataset_at(self.root, ref.name)
        if dataset is None:
            raise ObjectScanError(
                f"Dataset {ref.name!r} of source {self.config.name!r} was not found",
                source=self.config.name,
                path=list(ref.path),
            )
        return dataset

    def profile(
        self, ref: ObjectRef, columns: Sequence[DiscoveredColumn], policy: SamplePolicy
    ) -> TableProfile:
        """Profile a dataset with DuckDB (see ``profiling_duckdb``)."""
        dataset = self._dataset(ref)
        relation = _literal_relation(dataset)
        with self._duckdb().cursor() as cur, deadline(cur, self.config):
            try:
                if dataset.format == "parquet":  # counted from the footers, nothing read
                    hint = count_rows(cur, relation)
                else:  # a guess from the size: only decides exact or approximate figures
                    hint = sum(f.stat().st_size for f in dataset.files) // 64
                return profile_duckdb(cur, relation, columns, policy, rows_hint=hint)
            except (QueryError, OSError) as exc:
                raise ObjectScanError(
                    f"Failed to profile dataset {ref.name!r} of source {self.config.name!r}: {exc}",
                    source=self.config.name,
                    path=list(ref.path),
                ) from exc

    def sample(
        self, ref: ObjectRef, columns: Sequence[str], limit: int = 1000
    ) -> dict[str, list[object]]:
        relation = _literal_relation(self._dataset(ref))
        with self._duckdb().cursor() as cur, deadline(cur, self.config):
            return sample_duckdb(cur, relation, columns, limit)

    def quality_target(self, ref: ObjectRef) -> QueryTarget:
        return QueryTarget(DUCKDB.name, _literal_relation(self._dataset(ref)))

    def run_quality_query(
        self, sql: str, max_rows: int = 100
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """One query over the files: a single SELECT (``not_a_query``), so nothing is
        written, not even a file beside them (``COPY ... TO``)."""
        if refused := not_a_query(sql):
            raise ObjectScanError(
                f"Failed to run a quality check on source {self.config.name!r}: {refused}",
                source=self.config.name,
            )
        with self._duckdb().cursor() as cur:
            try:
                with deadline(cur, self.config):
                    cur.execute(sql)
                    names = [d[0] for d in cur.description or ()]
                    return names, [tuple(r) for r in cur.fetchmany(max_rows)]
            except (duckdb.Error, OSError) as exc:
                raise ObjectScanError(
                    f"Failed to run a quality check on source {self.config.name!r}: "
                    f"{_error_text(exc)}",
                    source=self.config.name,
                ) from exc

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> FileConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileConnectorFactory:
    kind = "files"

    def accepts(self, url: str) -> bool:
        if "://" in url:
            return url.lower().startswith("file://")
        return Path(url).expanduser().is_dir()

    def check_url(self, url: str) -> None:
        root_from_url(url)

    def create(self, config: SourceConfig) -> Connector:
        return FileConnector(config, root_from_url(config.url))

    def local_paths(self, url: str) -> list[Path]:
        return [root_from_url(url)]

    def resolve_url(self, url: str) -> str:
        """``file://`` and the folder's absolute path (it must exist)."""
        root = root_from_url(url)
        if not root.is_dir():
            raise missing_path("Folder", root)
        return root.as_uri()


FACTORY = FileConnectorFactory()

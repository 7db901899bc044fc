"""A local wheelhouse from the distributions already installed here: no download, no index.

``pip wheel`` cannot turn an installed distribution back into a wheel, and a download costs
minutes and needs the network. The files of an installed distribution are listed in its
``RECORD``; zipping those that live in site-packages (the code and its ``.dist-info``) with a
fresh ``RECORD`` gives a wheel pip installs like the original (scripts are regenerated from
``entry_points.txt``). Only what the built wheel declares, followed transitively without
extras, goes in: a runtime import of a package that is not declared is then missing from the
fresh environment, as it would be after ``pip install sounding``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from collections import deque
from email.parser import Parser
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

_SKIPPED_META = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def requires_of(metadata_text: str) -> list[str]:
    return Parser().parsestr(metadata_text).get_all("Requires-Dist") or []


def closure(requires: list[str]) -> dict[str, metadata.Distribution]:
    """Installed distributions needed by ``requires`` (markers evaluated, extras followed)."""
    found: dict[str, metadata.Distribution] = {}
    queue = deque((Requirement(r), "") for r in requires)
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        req, extra = queue.popleft()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        dist = metadata.distribution(req.name)  # PackageNotFoundError: not installed here
        found[key[0]] = dist
        for sub in dist.requires or []:
            parsed = Requirement(sub)
            marker = parsed.marker
            if marker is None or marker.evaluate({"extra": ""}):
                queue.append((parsed, ""))
            else:
                queue.extend((parsed, e) for e in req.extras if marker.evaluate({"extra": e}))
    return found


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def repack(dist: metadata.Distribution, out_dir: Path) -> Path:
    """One installed distribution as a wheel in ``out_dir``."""
    files = [f for f in dist.files or [] if ".." not in f.parts and "__pycache__" not in f.parts]
    info = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    wheel_meta = Parser().parsestr(dist.read_text("WHEEL") or "")
    tags = [t.split("-") for t in wheel_meta.get_all("Tag") or ["py3-none-any"]]
    tag = "-".join(".".join(dict.fromkeys(t[i] for t in tags)) for i in range(3))  # py2.py3-...
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    target = out_dir / f"{name}-{dist.version}-{tag}.whl"
    record: list[str] = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as whl:
        for file in files:
            path = file.as_posix()
            if file.parts[0] == info and file.name in _SKIPPED_META:
                continue
            source = Path(str(dist.locate_file(file)))
            if not source.is_file():
                continue
            data = source.read_bytes()
            whl.writestr(path, data)
            record.append(_record_line(path, data))
        record.append(f"{info}/RECORD,,")
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return target


def build(requires: list[str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [repack(dist, out_dir) for dist in closure(requires).values()]

"""Where the shared test corpora are (`shared/corpora`: lineage cases, PII columns, sample
databases), for the test suite and the benchmarks.

In order: ``$SOUNDING_CORPORA``; ``shared/corpora`` beside the checkout; and, for a clone made
elsewhere (``git clone /work/main /tmp/x/s``), ``shared/corpora`` beside the checkout it was
cloned from, read from the clone's ``origin`` remote when that is a local path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

_ENV = "SOUNDING_CORPORA"


def _origin_checkout(checkout: Path) -> Path | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        url = subprocess.run(  # noqa: S603 (git itself, reading one config value)
            [git, "-C", str(checkout), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not url or "://" in url or ("@" in url and ":" in url):
        return None  # a network remote: nothing beside it on this disk
    path = Path(url.removeprefix("file:")).expanduser()
    return path.resolve() if path.is_dir() else None


def corpora_dir(checkout: Path) -> Path:
    """The corpora directory for the checkout at ``checkout`` (may not exist: callers that
    need it fail with a message naming this path)."""
    if os.environ.get(_ENV):
        return Path(os.environ[_ENV])
    beside = checkout.parent / "shared" / "corpora"
    if beside.is_dir():
        return beside
    origin = _origin_checkout(checkout)
    if origin is not None and (origin.parent / "shared" / "corpora").is_dir():
        return origin.parent / "shared" / "corpora"
    return beside

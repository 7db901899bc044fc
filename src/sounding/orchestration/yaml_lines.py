"""Where in a YAML text a validation path points: ``steps[2].depends_on[0]`` -> line 14.

Workflow validation names each problem by a path into the document (``Problems`` in
``validation.py``). The YAML editor shows every problem beside the line it concerns, so the
text is composed again (``yaml.compose``: nodes with their start marks, nothing constructed)
and the path walked node by node:

- a mapping key goes to that key's line (an unknown or bad field is reported on its key);
- a list index goes to that item's first line;
- a part the document does not hold (a missing field) stops at the deepest node found, the
  mapping that lacks it; an index into a scalar (``depends_on: a`` read as ``[a]``) stays
  on the scalar.

A text that does not compose gives no lines (its parse error carries its own line).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import yaml

logger = logging.getLogger(__name__)

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_parts(loc: str) -> list[str | int]:
    """``"steps[2].depends_on[0]"`` -> ``["steps", 2, "depends_on", 0]``."""
    return [int(index) if index else key for key, index in _PART.findall(loc)]


def compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError) as exc:
        logger.debug("cannot compose the YAML to place errors: %s", exc)
        return None


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, int] | None:
    """The node under ``part`` and the line to report for it (0-based)."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value, key.start_mark.line
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        item = node.value[part]
        return item, item.start_mark.line
    return None


def line_of(root: yaml.Node | None, loc: str) -> int | None:
    """The 1-based line ``loc`` points at in the composed document ``root``."""
    if root is None:
        return None
    node, line = root, root.start_mark.line
    for part in path_parts(loc):
        found = _child(node, part)
        if found is None:
            break
        node, line = found
    return line + 1


def lines_of(text: str, locs: Iterable[str]) -> dict[str, int | None]:
    """Every path's line in ``text`` (composed once)."""
    root = compose(text)
    return {loc: line_of(root, loc) for loc in locs}

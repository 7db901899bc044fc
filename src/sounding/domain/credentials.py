"""Credentials in text: the one redaction every shown, logged, stored or raised text goes through.

A source URL or a driver's error message can carry a secret in several forms:

* the password of a URL's user info: ``postgresql://user:SECRET@host/db``;
* a query parameter with a secret-like name: ``?password=SECRET``, ``&pwd=``,
  ``sslpassword=``, ``sslkey=``, ``token=``, ``access_token=``, ``secret=``, ``api_key=``,
  ``key=``, ``sas=``, ``sig=`` (and any name containing password, secret, token or an
  api/access/private key);
* a libpq keyword DSN, as drivers echo it in errors: ``host=h password=SECRET`` or
  ``password='with spaces'``.

:func:`redact` replaces every such value with ``***`` wherever it appears in a text (a whole
URL, or a message that quotes one); ``known`` adds literal values to scrub (a password a
driver repeats without its name). It is idempotent, so applying it twice is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

MASK = "***"

# names whose value is a secret: in a URL query, or as a libpq keyword
_NAME_PATTERN = (
    r"[\w.\-]*(?:passw(?:or)?d|pwd|secret|token|credentials?|signature"
    r"|(?:api|access|private|account|client|shared)[_\-]?key)[\w.\-]*"
    r"|sslkey|key|sas|sig"
)
SECRET_NAME_RE = re.compile(rf"^(?:{_NAME_PATTERN})$", re.IGNORECASE)

# name=value where the name is secret-like and starts a query parameter or a keyword: after
# ?, &, ;, whitespace, a quote, a bracket or a comma, or at the start (not inside a path such
# as a hive partition ``/key=value/``), with no space around ``=`` (as drivers echo DSNs; SQL
# quoted in an error keeps ``key = 1``). The value: a quoted string, or up to a separator.
_ASSIGNMENT_RE = re.compile(
    rf"(?P<name>(?:(?<=[\s?&;'\"(\[{{,])|^)(?:{_NAME_PATTERN}))(?P<eq>=)"
    r"(?P<value>'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|[^\s&#'\",;)\]}]*)",
    re.IGNORECASE,
)

# scheme://user:PASSWORD@host — the password runs to the last @ of the URL's authority
_USERINFO_RE = re.compile(
    r"(?P<prefix>\b[a-z][a-z0-9+.\-]*://[^\s:/?#@'\"]*):(?P<password>[^\s'\"]*)@"
    r"(?=[^\s@/?#'\"]*(?:[/?#\s'\"]|$))",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    """Whether a query parameter or DSN keyword of this name holds a secret."""
    return bool(SECRET_NAME_RE.match(name.strip()))


def _mask_assignment(match: re.Match[str]) -> str:
    value = match.group("value")
    if not value or value.strip("'\"") == MASK:
        return match.group(0)
    return f"{match.group('name')}{match.group('eq')}{MASK}"


def _mask_userinfo(match: re.Match[str]) -> str:
    if match.group("password") in ("", MASK):
        return match.group(0)
    return f"{match.group('prefix')}:{MASK}@"


def secret_values(url: str) -> list[str]:
    """The secret values a URL carries (user-info password, secret query parameters), both as
    written and percent-decoded, for scrubbing texts that quote them without their names."""
    try:
        parts = urlsplit(url)
        password = parts.password
        query = parse_qsl(parts.query, keep_blank_values=False)
    except ValueError:
        return []
    found = [password] if password else []
    found += [v for k, v in query if is_secret_name(k) and v]
    return sorted({*found, *(unquote(v) for v in found)} - {MASK, ""}, key=len, reverse=True)


def redact(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every credential replaced by ``***`` (safe to show, log or store)."""
    if not text:
        return text
    out = _USERINFO_RE.sub(_mask_userinfo, text)
    out = _ASSIGNMENT_RE.sub(_mask_assignment, out)
    for value in sorted(set(known), key=len, reverse=True):
        if value and len(value) >= 3 and value != MASK:
            out = out.replace(value, MASK)
    return out

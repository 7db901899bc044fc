"""Connector registry: built-ins register the same way a plugin does (entry points)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from importlib.metadata import entry_points

from sounding.connectors.base import Connector, ConnectorFactory, SourceConfig
from sounding.domain.dialects import url_examples
from sounding.errors import UnsupportedSourceError

logger = logging.getLogger(__name__)

Opener = Callable[[SourceConfig], Connector]
remote_opener: ContextVar[Opener | None] = ContextVar("sounding_remote_opener", default=None)
"""When set (by the services while a scan step's task runs on a remote executor), ``open``
returns what it makes of the config - a connector whose calls run on the executor's workers -
instead of opening the source in this process."""

ENTRY_POINT_GROUP = "sounding.connectors"
DEFAULT_CONNECTORS = (
    "sounding.connectors.sql:FACTORY",
    "sounding.connectors.duckdb:FACTORY",
    "sounding.connectors.files:FACTORY",
)


class ConnectorRegistry:
    """Factories in registration order. ``pending`` are loaded on first use, so a command that
    reads the catalog only does not import DuckDB and every driver."""

    def __init__(self, pending: Callable[[], Iterable[ConnectorFactory]] | None = None) -> None:
        self._registered: list[ConnectorFactory] = []
        self._pending = pending
        self._loading = threading.Lock()  # scans open sources from several threads at once

    @property
    def _factories(self) -> list[ConnectorFactory]:
        if self._pending is not None:
            with self._loading:
                if self._pending is not None:  # another thread may have loaded them meanwhile
                    self._registered[:0] = list(self._pending())  # built-ins, plugins first
                    self._pending = None
        return self._registered

    def register(self, factory: ConnectorFactory) -> None:
        self._registered.append(factory)

    @property
    def kinds(self) -> list[str]:
        return [f.kind for f in self._factories]

    def factory_for(self, url: str) -> ConnectorFactory:
        """The factory for ``url``, once the URL is well formed for it (its ``check_url``,
        when it has one: a port that is a number in range, a path that can exist)."""
        if bad := next((c for c in url if ord(c) < 32 or ord(c) == 127), None):
            raise UnsupportedSourceError(
                f"The source URL contains a control character ({bad!a}); remove it", url=url
            )
        for factory in self._factories:
            if factory.accepts(url):
                check = getattr(factory, "check_url", None)
                if check is not None:
                    check(url)
                return factory
        raise UnsupportedSourceError(
            f"No connector accepts URL {url!r}. Known kinds: {', '.join(self.kinds)}. "
            f"Examples: {', '.join(url_examples())}",
            url=url,
        )

    def open(self, config: SourceConfig) -> Connector:
        factory = self.factory_for(config.url)  # a bad URL fails here, in this process
        opener = remote_opener.get()
        if opener is not None:
            return opener(config)
        return factory.create(config)


def _load(spec: str) -> ConnectorFactory:
    module_name, _, attr = spec.partition(":")
    module = __import__(module_name, fromlist=[attr])
    factory: ConnectorFactory = getattr(module, attr)
    return factory


def _default_factories() -> Iterator[ConnectorFactory]:
    for spec in DEFAULT_CONNECTORS:
        yield _load(spec)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            yield ep.load()
        except Exception:  # a broken plugin must not take the server down
            logger.exception("Failed to load connector plugin %s", ep.name)


def default_registry() -> ConnectorRegistry:
    """Built-ins first, then any ``sounding.connectors`` entry points (loaded on first use)."""
    return ConnectorRegistry(_default_factories)

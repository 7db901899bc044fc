"""One object per metadata store per process (a cache a feature keeps beside the store)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sounding.store.db import Database

T = TypeVar("T")


class PerStore(Generic[T]):
    """``PerStore(make)(db)``: the object ``make()`` built for ``db``, built at the first call
    and forgotten with the store (tests and the CLI open many stores in one process)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._found: weakref.WeakKeyDictionary[Database, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, db: Database) -> T:
        found = self._found.get(db)
        if found is None:
            with self._lock:
                found = self._found.setdefault(db, self._make())
        return found

    def put(self, db: Database, value: T) -> None:
        """Use ``value`` for ``db`` from now on (a test's cache with its own clock)."""
        with self._lock:
            self._found[db] = value

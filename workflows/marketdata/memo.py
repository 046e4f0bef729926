"""Process-wide caches of pure functions of file content, keyed by the content's hash.

Every simulated day re-reads the same few bar files: the store publishes them
into the day's bucket, the strategy workers read them back from S3 and parse
the Parquet, the broker builds its bar tables from them. The results depend
on the bytes only, so they are computed once per process and reused, keyed by
a sha256 of the content (never by path: a test may rewrite a file in place,
and its new bytes then miss the cache).

Cached values must be immutable in practice: DataFrames are handed out as
shallow copies (pandas' copy-on-write, always on since pandas 3, keeps a
change to a copy from reaching the cached frame), bytes and tuples as they
are. Only successful results are cached, so a bad file fails every time as it
did before. Each cache is bounded (least recently used entries go first): 256
entries of a bar file's frame is about 13 MB, two weeks of days of the bundled
strategies' symbols.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
MISSING = object()  # lookup's answer for a key not stored


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ContentMemo(Generic[V]):
    """An LRU map from a content key to a value computed from that content.

    Callers look up, compute on a miss where they always did (so an error is
    raised from the same place, with the same traceback) and store."""

    def __init__(self, name: str, maxsize: int = 256) -> None:
        self.name = name
        self.maxsize = maxsize
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def lookup(self, key: Hashable) -> V | object:
        """The value stored for ``key``, or ``MISSING``."""
        value = self._values.get(key, MISSING)
        if value is MISSING:
            self.misses += 1
        else:
            self.hits += 1
            self._values.move_to_end(key)
        return value

    def store(self, key: Hashable, value: V) -> V:
        self._values[key] = value
        if len(self._values) > self.maxsize:
            self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        self._values.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._values)

"""Named, seeded random streams and seeded ids.

Every random choice in a run (latency, jitter, fault probability, the UUIDs a
handler is given) draws from a stream named for what it decides, e.g.
``streams.rng("lambda.duration.strategy-worker")``. A stream's seed is derived
from (run seed, stream name) with SHA-256, so adding a new stream never shifts
the draws of an existing one, and nothing depends on ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import hashlib
import random
import uuid


def derive_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class Streams:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def rng(self, name: str) -> random.Random:
        stream = self._streams.get(name)
        if stream is None:
            stream = random.Random(derive_seed(self.seed, name))
            self._streams[name] = stream
        return stream

    def uuid(self, name: str = "ids") -> str:
        """A version-4 UUID drawn from the named stream (never ``uuid.uuid4``)."""
        bits = self.rng(f"uuid.{name}").getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))

    def hex(self, name: str, nbytes: int = 16) -> str:
        return self.rng(f"hex.{name}").getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()

"""Identifiers for one handler invocation, reproducible on the simulator.

The real system draws ``uuid4()`` for run ids, trade ids and event ids. Under
shadowsim ``uuid.uuid4`` is not seeded, so a run would never replay byte for
byte. Instead every id is a version-4-shaped UUID hashed from the invocation's
``context.aws_request_id`` (seeded by the simulator), the virtual time at which
the invocation started, a label and a counter. Mixing in the start time keeps
the uuid4 property that matters for the Alchemiser: an async *retry* of the
same event (AWS keeps its request id) still gets fresh run and trade ids, just
as the real Portfolio Lambda would (§10 item 30: no cross-invocation
idempotency).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any


class IdSource:
    def __init__(self, context: Any = None) -> None:
        request_id = getattr(context, "aws_request_id", None) or "local"
        self._seed = f"{request_id}|{time.time():.6f}"
        self._count = 0

    def uuid(self, label: str = "id") -> str:
        self._count += 1
        digest = hashlib.sha256(f"{self._seed}|{label}|{self._count}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def hex8(self, label: str = "hex") -> str:
        return self.uuid(label).replace("-", "")[:8]

"""The harness's own S3 writes (fixtures a run starts from), made cheaply and exactly as a client's.

A simulated day starts by writing its market data into S3 (dozens of small
objects) with the simulation's control-plane client. Each such PutObject is
served like any control-plane call: the fault rules are checked, a latency is
drawn from the seeded stream, the clock advances and the trace records it.
Then botocore serialises, signs and streams the body, and moto parses the
request back, about as long again as the simulated day of a Step Functions
run spends in its handlers.

``FixtureWriter.put_object`` keeps the first half as it is (the same
``ApiFront.serve`` with the control client's retry policy, so clocks, draws and
traces are the same) and, when the call is let through, writes the object
straight into in-process moto (``sim/motodirect.py``) with what boto3's plain
request would have left there. A remote endpoint, another moto version or a
bucket that is not plain (object lock) goes through the control client as
before. It returns nothing: fixture writers do not read PutObject's answer.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from sim import motodirect
from sim.runtime.calls import PROCEED, ApiCall
from sim.runtime.retries import policy_for


class FixtureWriter:
    """Has the one method of an S3 client that fixture publishers use: ``put_object``."""

    def __init__(self, sim) -> None:
        self._sim = sim
        self._client = sim.client("s3")  # its retry policy, and the way for what is not plain
        self._policy = policy_for("s3", self._client.meta.config)

    def put_object(self, *, Bucket: str, Key: str, Body: bytes) -> None:  # noqa: N803 - boto3's names
        emulator = self._sim.emulator
        if emulator.endpoint_url is not None or not motodirect.available() \
                or not motodirect.plain_put(emulator.account_id, emulator.region, Bucket, Body):
            self._client.put_object(Bucket=Bucket, Key=Key, Body=Body)
            return
        reply = self._sim.control_call(ApiCall("s3", "PutObject", {"Bucket": Bucket, "Key": Key}, self._policy))
        if reply is not PROCEED:  # an injected error, after the policy's retries: raised as botocore raises it
            raise ClientError(reply.parsed, "PutObject")
        motodirect.put_object(emulator.account_id, emulator.region, Bucket, Key, Body)

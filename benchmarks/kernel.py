"""Kernel throughput: Lambda invocations per wall second through the full simulator.

    python benchmarks/kernel.py [--n N] [--n-sync M] [--repeat R] [--profile]

1. async no-op: a stack with one no-op function; N events are accepted through
   ``sim.lambda_.invoke_async`` at t=0, then ``sim.run()`` runs them all. The
   account concurrency is raised to N so that no event is throttled (a throttle
   adds backoff timers and would change what is measured).
2. bare SimPy: the same number of processes, each with as many timeouts as the
   kernel schedules per invocation (counted in a calibration run), in one
   ``simpy.Environment``. The ratio kernel/bare is the kernel's cost per
   invocation in units of "a bare SimPy process with the same timers".
2b. steady arrivals: the same N events fed by one driver process, one every
   ``--gap`` virtual seconds (default 0.1 ms: about 3000 invocations in flight and
   a warm pool of the same size, which the kernel searches on every start),
   against bare SimPy with the same driver.
3. sync + DynamoDB: M synchronous invokes through ``sim.client("lambda")``; the
   handler makes one DynamoDB UpdateItem (moto in-process). Next to it, the
   same UpdateItem straight to moto (no simulator) for scale.

Wall time is read with ``time.perf_counter`` here only; nothing in ``sim/``
reads wall time. Each measurement is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402

from sim import Simulation  # noqa: E402
from sim.stack.load import stack_from_dict  # noqa: E402


def noop(event, context):
    return None


_TABLE = []


def count_one(event, context):
    # The Table is made once, as Lambda code does at module level: building a boto3 resource
    # costs about 10 ms (model loading), which would swamp what this measures.
    if not _TABLE:
        _TABLE.append(boto3.resource("dynamodb").Table("bench"))
    table = _TABLE[0]
    table.update_item(Key={"pk": "hits"}, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": 1})
    return None


def noop_stack():
    return stack_from_dict({"name": "bench-noop", "functions": [{"name": "noop", "handler": noop, "timeout_s": 3}]})


def ddb_stack():
    return stack_from_dict({"name": "bench-ddb", "functions": [{"name": "count", "handler": count_one, "timeout_s": 3}],
                            "tables": [{"name": "bench", "hash_key": {"name": "pk"}}]})


# -- 1. the kernel, async no-op -------------------------------------------------------------
class GcTimer:
    """Wall time spent in the cyclic garbage collector while active (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds, self._t0 = 0.0, 0.0

    def _callback(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._t0

    def __enter__(self) -> "GcTimer":
        gc.collect()  # every measurement starts from the same collector state
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)


def kernel_async(n: int, seed: int = 1, profile: cProfile.Profile | None = None, gap: float | None = None) -> dict:
    """N async no-op invocations: all accepted at t=0 (gap None), or one every ``gap`` virtual seconds."""
    with Simulation(noop_stack(), seed=seed, account_concurrency=max(1000, n)) as sim:
        lam, clock = sim.lambda_, sim.clock
        spec = lam.spec("noop")

        def driver():
            for _ in range(n):
                lam.invoke_async(spec, b"{}", "bench")
                yield clock.timeout(gap)

        with GcTimer() as gc_time:
            if profile is not None:
                profile.enable()
            t0 = time.perf_counter()
            if gap is None:
                for _ in range(n):
                    lam.invoke_async(spec, b"{}", "bench")
            else:
                clock.process(driver())
            result = sim.run()
            wall = time.perf_counter() - t0
            if profile is not None:
                profile.disable()
        summary = result.ledger.summary()
        if summary["by_status"] != {"delivered": n}:
            raise SystemExit(f"benchmark run is not clean: {summary['by_status']}")
        warm = sum(1 for r in result.trace.records if r["kind"] == "invoke.start" and not r["cold"])
        return {"wall": wall, "gc": gc_time.seconds, "steps": sim.steps, "invocations": lam.invocations,
                "warm": warm, "digest": result.digest()}


def kernel_timeouts_per_invocation(n: int = 200) -> float:
    """Calibration: how many timers the kernel schedules per async no-op invocation."""
    with Simulation(noop_stack(), seed=1, account_concurrency=max(1000, n)) as sim:
        clock, counted = sim.clock, [0]
        real = clock.timeout

        def counting(*args, **kwargs):
            counted[0] += 1
            return real(*args, **kwargs)

        clock.timeout = counting
        spec = sim.lambda_.spec("noop")
        for _ in range(n):
            sim.lambda_.invoke_async(spec, b"{}", "bench")
        sim.run()
        return counted[0] / n


# -- 2. bare SimPy with the same timers ----------------------------------------------------
def bare_simpy(n: int, timeouts: int, gap: float | None = None) -> dict:
    delays = [0.02, 0.3, 3.0, 1.0, 1.0, 1.0][:timeouts] + [1.0] * max(0, timeouts - 6)
    env = simpy.Environment()

    def invocation(env):
        for d in delays:
            yield env.timeout(d)

    def driver(env):
        for _ in range(n):
            env.process(invocation(env))
            yield env.timeout(gap)

    steps = 0
    with GcTimer() as gc_time:
        t0 = time.perf_counter()
        if gap is None:
            for _ in range(n):
                env.process(invocation(env))
        else:
            env.process(driver(env))
        while env.peek() != float("inf"):  # the kernel steps one event at a time too
            env.step()
            steps += 1
        wall = time.perf_counter() - t0
    return {"wall": wall, "gc": gc_time.seconds, "steps": steps}


# -- 3. sync invoke + one DynamoDB call ------------------------------------------------------
def kernel_sync_ddb(m: int, seed: int = 1) -> dict:
    with Simulation(ddb_stack(), seed=seed) as sim:
        lam = sim.client("lambda")
        t0 = time.perf_counter()
        for _ in range(m):
            out = lam.invoke(FunctionName="count", Payload=b"{}")
            if out.get("FunctionError"):
                raise SystemExit(f"benchmark handler failed: {out['Payload'].read()!r}")
        wall = time.perf_counter() - t0
        item = sim.client("dynamodb").get_item(TableName="bench", Key={"pk": {"S": "hits"}})["Item"]
        if int(item["n"]["N"]) != m:
            raise SystemExit(f"counter is {item['n']['N']}, expected {m}")
        return {"wall": wall, "steps": sim.steps}


def moto_only_ddb(m: int) -> dict:
    """The same UpdateItem, straight to moto in-process, without the simulator."""
    from moto import mock_aws

    with mock_aws():
        ddb = boto3.session.Session().client("dynamodb", region_name="us-east-1", aws_access_key_id="testing",
                                             aws_secret_access_key="testing")
        ddb.create_table(TableName="bench", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        t0 = time.perf_counter()
        for _ in range(m):
            ddb.update_item(TableName="bench", Key={"pk": {"S": "hits"}}, UpdateExpression="ADD n :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})
        return {"wall": time.perf_counter() - t0}


def best(fn, repeat: int, *args, **kwargs) -> dict:
    runs = [fn(*args, **kwargs) for _ in range(repeat)]
    return min(runs, key=lambda r: r["wall"])


def report_async(title: str, n: int, kernel: dict, bare: dict, timeouts: int) -> None:
    k_us, b_us = kernel["wall"] / n * 1e6, bare["wall"] / n * 1e6
    print(title)
    print(f"  kernel     : {n / kernel['wall']:>10,.0f} invocations/s  {k_us:8.1f} us/invocation  "
          f"{kernel['steps'] / n:5.2f} SimPy steps/invocation  (GC {kernel['gc'] / kernel['wall']:.0%} of it; "
          f"{kernel['warm']} warm starts)")
    print(f"  bare SimPy : {n / bare['wall']:>10,.0f} processes/s    {b_us:8.1f} us/process     "
          f"{bare['steps'] / n:5.2f} SimPy steps/process ({timeouts} timeouts each; GC {bare['gc'] / bare['wall']:.0%})")
    print(f"  ratio      : {k_us / b_us:.1f}x  (kernel time per invocation / bare SimPy time per process)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000, help="async no-op invocations (default 5000)")
    ap.add_argument("--n-sync", type=int, default=500, help="sync invocations with one DynamoDB call (default 500)")
    ap.add_argument("--repeat", type=int, default=3, help="best of R runs (default 3)")
    ap.add_argument("--gap", type=float, default=0.0001,
                    help="virtual seconds between arrivals in the steady-arrivals run (default 0.0001)")
    ap.add_argument("--profile", action="store_true", help="cProfile the async no-op path and print the top entries")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args(argv)
    n, m = args.n, args.n_sync

    per_inv = kernel_timeouts_per_invocation()
    timeouts = round(per_inv)
    print(f"the kernel schedules {per_inv:.2f} timers per async no-op invocation (calibration run)")
    kernel = best(kernel_async, args.repeat, n)
    bare = best(bare_simpy, args.repeat, n, timeouts)
    report_async(f"async no-op, N={n} accepted at t=0 (best of {args.repeat})", n, kernel, bare, timeouts)
    kernel = best(kernel_async, args.repeat, n, gap=args.gap)
    bare = best(bare_simpy, args.repeat, n, timeouts, gap=args.gap)
    report_async(f"async no-op, N={n} arriving every {args.gap * 1e3:g} ms virtual (best of {args.repeat}; "
                 f"digest {kernel['digest'][:12]})", n, kernel, bare, timeouts)

    sync = best(kernel_sync_ddb, args.repeat, m)
    moto = best(moto_only_ddb, args.repeat, m)
    s_us, m_us = sync["wall"] / m * 1e6, moto["wall"] / m * 1e6
    print(f"sync invoke + 1 DynamoDB UpdateItem (moto in-process), M={m} (best of {args.repeat})")
    print(f"  kernel     : {m / sync['wall']:>10,.0f} invocations/s  {s_us:8.1f} us/invocation  "
          f"{sync['steps'] / m:5.2f} SimPy steps/invocation")
    print(f"  moto only  : {m / moto['wall']:>10,.0f} UpdateItem/s    {m_us:8.1f} us/call  (no simulator, for scale)")

    if args.profile:
        prof = cProfile.Profile()
        kernel_async(n, profile=prof)
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
            print(f"\n-- cProfile, async no-op path, N={n}, sorted by {key} --")
            print(_trim(out.getvalue()))
    return 0


def _trim(report: str) -> str:
    lines = report.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:]).rstrip()


if __name__ == "__main__":
    sys.exit(main())

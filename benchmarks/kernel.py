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
3. sync + DynamoDB: M synchronous invokes through ``sim.client("lambda")``; the
   handler makes one DynamoDB UpdateItem (moto in-process). Next to it, the
   same UpdateItem straight to moto (no simulator) for scale.

Wall time is read with ``time.perf_counter`` here only; nothing in ``sim/``
reads wall time. Each measurement is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import cProfile
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


def count_one(event, context):
    table = boto3.resource("dynamodb").Table("bench")
    table.update_item(Key={"pk": "hits"}, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": 1})
    return None


def noop_stack():
    return stack_from_dict({"name": "bench-noop", "functions": [{"name": "noop", "handler": noop, "timeout_s": 3}]})


def ddb_stack():
    return stack_from_dict({"name": "bench-ddb", "functions": [{"name": "count", "handler": count_one, "timeout_s": 3}],
                            "tables": [{"name": "bench", "hash_key": {"name": "pk"}}]})


# -- 1. the kernel, async no-op -------------------------------------------------------------
def kernel_async(n: int, seed: int = 1, profile: cProfile.Profile | None = None) -> dict:
    with Simulation(noop_stack(), seed=seed, account_concurrency=max(1000, n)) as sim:
        lam = sim.lambda_
        spec = lam.spec("noop")
        if profile is not None:
            profile.enable()
        t0 = time.perf_counter()
        for _ in range(n):
            lam.invoke_async(spec, b"{}", "bench")
        result = sim.run()
        wall = time.perf_counter() - t0
        if profile is not None:
            profile.disable()
        summary = result.ledger.summary()
        if summary["by_status"] != {"delivered": n}:
            raise SystemExit(f"benchmark run is not clean: {summary['by_status']}")
        return {"wall": wall, "steps": sim.steps, "invocations": lam.invocations}


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
def bare_simpy(n: int, timeouts: int) -> dict:
    delays = [0.02, 0.3, 3.0, 1.0, 1.0, 1.0][:timeouts] + [1.0] * max(0, timeouts - 6)
    env = simpy.Environment()

    def invocation(env):
        for d in delays:
            yield env.timeout(d)

    steps = 0
    t0 = time.perf_counter()
    for _ in range(n):
        env.process(invocation(env))
    while env.peek() != float("inf"):  # the kernel steps one event at a time too
        env.step()
        steps += 1
    wall = time.perf_counter() - t0
    return {"wall": wall, "steps": steps}


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


def best(fn, repeat: int, *args) -> dict:
    runs = [fn(*args) for _ in range(repeat)]
    return min(runs, key=lambda r: r["wall"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000, help="async no-op invocations (default 5000)")
    ap.add_argument("--n-sync", type=int, default=500, help="sync invocations with one DynamoDB call (default 500)")
    ap.add_argument("--repeat", type=int, default=3, help="best of R runs (default 3)")
    ap.add_argument("--profile", action="store_true", help="cProfile the async no-op path and print the top entries")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args(argv)
    n, m = args.n, args.n_sync

    per_inv = kernel_timeouts_per_invocation()
    timeouts = round(per_inv)
    kernel = best(kernel_async, args.repeat, n)
    bare = best(bare_simpy, args.repeat, n, timeouts)
    k_us, b_us = kernel["wall"] / n * 1e6, bare["wall"] / n * 1e6
    print(f"async no-op, N={n} (best of {args.repeat}); the kernel schedules {per_inv:.2f} timers per invocation")
    print(f"  kernel     : {n / kernel['wall']:>10,.0f} invocations/s  {k_us:8.1f} us/invocation  "
          f"{kernel['steps'] / n:5.2f} SimPy steps/invocation")
    print(f"  bare SimPy : {n / bare['wall']:>10,.0f} processes/s    {b_us:8.1f} us/process     "
          f"{bare['steps'] / n:5.2f} SimPy steps/process ({timeouts} timeouts each)")
    print(f"  ratio      : {k_us / b_us:.1f}x  (kernel time per invocation / bare SimPy time per process)")

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
            print(out.getvalue().split("\n", 4)[-1].rstrip() if False else _trim(out.getvalue()))
    return 0


def _trim(report: str) -> str:
    lines = report.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:]).rstrip()


if __name__ == "__main__":
    sys.exit(main())

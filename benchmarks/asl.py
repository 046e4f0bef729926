"""ASL engine throughput: executions per wall second, against moto's state machine execution.

    python benchmarks/asl.py [--runs N] [--map-runs M] [--moto-runs K] [--repeat R] [--profile]

1. pass chain: a Standard state machine of 5 Pass states, N executions started at
   t=0 through the Step Functions model, then ``sim.run()``. Each keeps its full
   history (12 events), as Standard executions do.
2. map of 100 lambda items: a Map (MaxConcurrency 0) whose iterations invoke a
   no-op Lambda function by its ARN; M executions.
3. the same definitions through moto 5.2.5 with
   ``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})`` (its
   vendored LocalStack interpreter, one thread per execution and per Map
   iteration), Lambda tasks served by moto's docker-free Lambda
   (``"lambda": {"use_docker": False}``, which echoes the request). ``name=`` is
   always passed to ``start_execution`` (moto's default name is not unique).
   K executions are started, then each is polled until it leaves RUNNING.

The ratios are shadowsim / moto, measured in the same process. Wall time is read
here only; each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim import Simulation  # noqa: E402
from sim.stack.load import stack_from_dict  # noqa: E402

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:noop"
PASS_CHAIN = {"StartAt": "S0", "States": {
    f"S{i}": ({"Type": "Pass", "Next": f"S{i + 1}"} if i < 4 else {"Type": "Pass", "End": True}) for i in range(5)}}
MAP_100 = {"StartAt": "Items", "States": {
    "Items": {"Type": "Pass", "Result": list(range(100)), "Next": "Map"},
    "Map": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Call",
                                             "States": {"Call": {"Type": "Task", "Resource": FUNCTION_ARN,
                                                                 "End": True}}},
            "End": True}}}


def noop(event, context):
    return event


# -- shadowsim ------------------------------------------------------------------------------
def shadowsim_rate(definition: dict, runs: int, profile: bool = False) -> float:
    stack = stack_from_dict({"name": "bench", "functions": [{"name": "noop", "handler": noop}],
                             "state_machines": [{"name": "m", "definition": definition}]})
    with Simulation(stack, account_id=ACCOUNT, account_concurrency=100_000) as sim:
        sfn = sim.stepfunctions
        sm = sfn.machine("m")
        prof = cProfile.Profile() if profile else None
        start = time.perf_counter()
        if prof:
            prof.enable()
        executions = [sfn.start(sm, '{"n": 1}', f"e{i}", "bench") for i in range(runs)]
        sim.run()
        if prof:
            prof.disable()
        elapsed = time.perf_counter() - start
    bad = [e.status for e in executions if e.status != "SUCCEEDED"]
    if bad:
        raise SystemExit(f"shadowsim: {len(bad)} executions did not succeed ({bad[0]})")
    if prof:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
        print(out.getvalue())
    return runs / elapsed


# -- moto -----------------------------------------------------------------------------------
def moto_rate(definition: dict, runs: int) -> float:
    import boto3
    from moto import mock_aws

    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config):
        role = _moto_role(boto3.client("iam", region_name="us-east-1"))
        _moto_function(boto3.client("lambda", region_name="us-east-1"), role)
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=role)["stateMachineArn"]
        before = set(threading.enumerate())
        start = time.perf_counter()
        arns = [sfn.start_execution(stateMachineArn=arn, name=f"e{i}", input='{"n": 1}')["executionArn"]
                for i in range(runs)]
        # moto runs each execution on a thread of its own, in wall time: join them (no polling)
        for thread in set(threading.enumerate()) - before:
            thread.join()
        statuses = [sfn.describe_execution(executionArn=a)["status"] for a in arns]
        elapsed = time.perf_counter() - start
    bad = [s for s in statuses if s != "SUCCEEDED"]
    if bad:
        raise SystemExit(f"moto: {len(bad)} executions did not succeed ({bad[0]})")
    return runs / elapsed


def _moto_role(iam) -> str:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                   "Action": "sts:AssumeRole"}]}
    return iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(doc))["Role"]["Arn"]


def _moto_function(lam, role: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    lam.create_function(FunctionName="noop", Runtime="python3.12", Role=role, Handler="handler.handler",
                        Code={"ZipFile": buf.getvalue()})


def best(fn, repeat: int) -> float:
    return max(fn() for _ in range(repeat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5000, help="pass-chain executions for shadowsim")
    ap.add_argument("--map-runs", type=int, default=50, help="map-of-100 executions for shadowsim")
    ap.add_argument("--moto-runs", type=int, default=100, help="pass-chain executions for moto")
    ap.add_argument("--moto-map-runs", type=int, default=5, help="map-of-100 executions for moto")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print where the pass-chain time goes")
    args = ap.parse_args()

    ours_pass = best(lambda: shadowsim_rate(PASS_CHAIN, args.runs), args.repeat)
    moto_pass = best(lambda: moto_rate(PASS_CHAIN, args.moto_runs), args.repeat)
    ours_map = best(lambda: shadowsim_rate(MAP_100, args.map_runs), args.repeat)
    moto_map = best(lambda: moto_rate(MAP_100, args.moto_map_runs), args.repeat)
    print(f"{'definition':<28}{'shadowsim runs/s':>18}{'moto runs/s':>14}{'ratio':>10}")
    print(f"{'5-state Pass chain':<28}{ours_pass:>18,.0f}{moto_pass:>14,.1f}{ours_pass / moto_pass:>9,.0f}x")
    print(f"{'Map of 100 Lambda items':<28}{ours_map:>18,.1f}{moto_map:>14,.2f}{ours_map / moto_map:>9,.0f}x")
    print("(reference: aws-local-stepfunctions on Node runs about 37,000 Pass chains per second on a machine "
          "like this one; see shared/reference/peers.md)")
    if args.profile:
        shadowsim_rate(PASS_CHAIN, args.runs, profile=True)


if __name__ == "__main__":
    main()

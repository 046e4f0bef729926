"""The command line: quick-start demo, run, version, and clear errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from workflows.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_version():
    out = runner.invoke(app, ["version"])
    assert out.exit_code == 0 and "shadowsim 0." in out.output


def test_demo_is_a_shadow_comparison_on_a_golden_day(tmp_path):
    out = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output  # the demo prints the verdict; `shadowsim shadow` returns it
    assert "DIVERGE" in out.output and "signal.signal_count" in out.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["inputs"]["golden_day"] == "fixtures/golden/2026-01-14"
    assert [c["verdict"] for c in report["comparisons"]] == ["diverge", "agree"]  # seed B.1 vs its fixed form
    for variant in ("legacy", "stepfunctions", "stepfunctions-fixed"):
        assert (tmp_path / variant / "timeline.json").is_file() and (tmp_path / variant / "day.json").is_file()
    assert (tmp_path / "stepfunctions" / "histories.json").is_file() and (tmp_path / "report.html").is_file()


def test_run_json_summary_is_one_object(tmp_path):
    stack = ROOT / "workflows" / "examples" / "orders" / "stack.yaml"
    out = runner.invoke(app, ["run", str(stack), "--invoke", "intake", "--json", "--out", str(tmp_path), "--seed", "2"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert summary["counts"]["invoke.start"] == 7
    assert summary["ledger"]["by_status"] == {"deleted": 3, "delivered": 7}


def test_bad_stack_is_one_clear_message_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nqueues:\n  - {name: 'bad name!'}\n")
    out = runner.invoke(app, ["run", str(bad)])
    assert out.exit_code == 2
    assert "bad.yaml" in out.output and "invalid queue name" in out.output
    assert "Traceback" not in out.output


def test_non_loopback_endpoint_is_refused(tmp_path):
    stack = ROOT / "workflows" / "examples" / "orders" / "stack.yaml"
    out = runner.invoke(app, ["run", str(stack), "--endpoint-url", "https://sqs.us-east-1.amazonaws.com"])
    assert out.exit_code == 2 and "not a loopback address" in out.output


def test_same_seed_same_digest_across_processes_and_hash_seeds(tmp_path):
    """Byte-identical runs in fresh interpreters, whatever PYTHONHASHSEED is."""
    import os
    import subprocess
    import sys

    stack = ROOT / "workflows" / "examples" / "orders" / "stack.yaml"
    digests = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        cmd = [sys.executable, "-m", "workflows", "run", str(stack), "--invoke", "intake", "--json",
               "--seed", "5", "--out", str(tmp_path / hash_seed)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
        digests.append(json.loads(out.stdout)["digest"])
    assert digests[0] == digests[1]
    assert (tmp_path / "1" / "trace.jsonl").read_bytes() == (tmp_path / "2" / "trace.jsonl").read_bytes()

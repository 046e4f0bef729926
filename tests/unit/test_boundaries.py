"""The architecture's boundaries, enforced: sim/ knows nothing of trading and reads no wall
clock; workflows/ knows nothing of SimPy; services never import one another."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def py_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_sim_never_imports_workflows():
    offenders = [str(p) for p in py_files("sim") if any(m.split(".")[0] == "workflows" for m in imports(p))]
    assert offenders == []


def test_workflows_never_imports_simpy_or_the_clock():
    offenders = [str(p) for p in py_files("workflows")
                 if any(m.split(".")[0] == "simpy" or m.startswith("sim.clock") or m.startswith("sim.services")
                        for m in imports(p))]
    assert offenders == []


def test_services_never_import_another_service():
    offenders = []
    for p in py_files("sim/services"):
        parts = p.relative_to(ROOT / "sim" / "services").parts
        if len(parts) < 2:
            continue
        own = parts[0]
        for m in imports(p):
            if m.startswith("sim.services.") and m.split(".")[2] not in (own, "base"):
                # the scheduler's expression parser is a pure function shared with scheduled rules
                if m != "sim.services.scheduler.expressions":
                    offenders.append(f"{p}: {m}")
    assert offenders == []


# The interpreter's entry points (the CLI and the conformance harness) build simulations;
# the interpreter itself reaches the world only through the TaskPorts it declares.
ASL_ENTRY_POINTS = {"cli.py", "harness.py"}


def test_the_asl_interpreter_imports_no_service_and_no_simulation():
    offenders = [f"{p.name}: {m}" for p in py_files("sim/asl") if p.name not in ASL_ENTRY_POINTS
                 for m in imports(p) if m.startswith(("sim.services", "sim.simulation", "sim.api", "sim.emulator"))]
    assert offenders == []


WALL_CLOCK = {("time", "time"), ("time", "sleep"), ("time", "monotonic"), ("datetime", "now"),
              ("datetime", "utcnow"), ("date", "today"), ("uuid", "uuid4"), ("random", "random")}


def wall_clock_calls(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and (node.func.value.id, node.func.attr) in WALL_CLOCK:
            lines.append(node.lineno)
    return lines


def test_sim_reads_no_wall_clock_and_draws_no_unseeded_ids():
    offenders = [f"{p.relative_to(ROOT)}:{line}" for p in py_files("sim") for line in wall_clock_calls(p)]
    assert offenders == []

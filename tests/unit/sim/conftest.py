"""Helpers for kernel tests: build a stack from a few lines, run it, read the trace."""

from __future__ import annotations

from sim.stack.load import stack_from_dict


def make_stack(name: str = "t", **parts) -> "Stack":  # noqa: F821
    return stack_from_dict({"name": name, **parts})


def fn(name: str, handler, **kw) -> dict:
    return {"name": name, "handler": handler, "duration": {"kind": "fixed", "seconds": 0.0},
            "cold_start": {"kind": "fixed", "seconds": 0.0}, **kw}


def starts(result, function: str) -> list[float]:
    return [r["t"] for r in result.trace.where("invoke.start", function)]


def fast_and_plain(fast_paths, run):
    """``run()`` with ``fast_paths`` (a module with install/uninstall) installed, then without them;
    they are installed again whatever happens. The equivalence tests compare the two answers."""
    fast_paths.install()
    fast = run()
    fast_paths.uninstall()
    try:
        plain = run()
    finally:
        fast_paths.install()
    return fast, plain

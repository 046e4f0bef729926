"""Running synchronous handler code as a coroutine of the virtual clock.

Each invocation's handler runs in its own greenlet. When the handler makes a
boto3 call or sleeps, the botocore hook (``interpose``) switches back to the
SimPy process that drives the invocation, which charges latency, applies
faults and may let other handlers run before it switches back in with the
reply. Only one greenlet runs at any moment, so the order is a pure function
of the virtual clock and the seed.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import greenlet

from sim.runtime.calls import InvocationKilled


class HandlerGreenlet(greenlet.greenlet):
    """A greenlet that knows which invocation (and so which simulation) it serves."""

    def __init__(self, run: Callable[[], Any], owner: Any) -> None:
        super().__init__(run)
        self.owner = owner


def current_owner() -> Any | None:
    """The invocation whose handler is running now, or None outside handlers."""
    g = greenlet.getcurrent()
    return g.owner if isinstance(g, HandlerGreenlet) else None


def ask_simulator(request: Any) -> Any:
    """Called inside a handler greenlet: hand ``request`` to the driver, wait for the reply."""
    g = greenlet.getcurrent()
    if not isinstance(g, HandlerGreenlet):
        raise RuntimeError("ask_simulator called outside a handler greenlet")
    if g.owner.killed:
        raise InvocationKilled(g.owner.killed)
    return g.parent.switch(request)


@dataclass
class Outcome:
    """How a handler's run ended."""

    ok: bool
    value: Any = None
    error_type: str = ""
    error_message: str = ""
    stack: list[str] | None = None


def run_handler(handler: Callable, event: Any, context: Any) -> Outcome:
    """The greenlet's body: call the handler and describe how it ended."""
    try:
        return Outcome(True, handler(event, context))
    except InvocationKilled:
        raise
    except SystemExit as exc:
        return Outcome(False, error_type="Runtime.ExitError",
                       error_message=f"RequestId: {getattr(context, 'aws_request_id', '')} Error: Runtime exited with error: exit status {exc.code}")
    except Exception as exc:  # the handler's own error, reported as Lambda reports it
        frames = traceback.extract_tb(exc.__traceback__)[1:]
        stack = [f'  File "{task_path(f.filename)}", line {f.lineno}, in {f.name}\n    {f.line}\n' for f in frames]
        return Outcome(False, error_type=type(exc).__name__, error_message=str(exc), stack=stack)


def task_path(filename: str) -> str:
    """A source path as Lambda shows it: under /var/task, the deployment package's root
    (the longest sys.path entry that holds the file), never a path of this machine."""
    if filename.startswith("/var/task/"):
        return filename
    roots = [p for p in sys.path if p and filename.startswith(p.rstrip("/") + "/")]
    if not roots:
        return filename.rsplit("/", 1)[-1]
    return "/var/task/" + filename[len(max(roots, key=len).rstrip("/")) + 1:]

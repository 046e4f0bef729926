"""Tasks of a Dask worker run in a child process of that worker, never in the worker itself.

While a simulation runs it patches process-wide state: the clock (time-machine), the
environment, socket connections. A Dask worker keeps its own event loop, heartbeats
and batched messages to the scheduler in the same process, on other threads; run a
simulation there and those threads see the simulated clock too. Measured here: on a
LocalCluster sweep one worker finished its first two tasks and never told the
scheduler, which went on waiting for them. So each worker process starts one child
(lazily, on its first task), warms it once (fixtures load once per worker, as
before), and hands it task after task. Dask worker processes are daemonic and may not start
``multiprocessing`` children, so the child is a plain subprocess that reads and
writes length-prefixed pickles on a private pipe (whatever a task prints goes to
stderr). It ends when the worker closes the pipe.
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import subprocess
import sys
import threading
from typing import Any, BinaryIO, Callable

from sim.sweep.executor import TASKS_PER_PROCESS

_HEADER = 8


class TaskFailed(Exception):
    """A task raised in the child; ``description`` is its "Type: message"."""

    def __init__(self, description: str):
        super().__init__(description)
        self.description = description


class ChildDied(Exception):
    def __init__(self, returncode: int | None):
        super().__init__(f"the task's child process died (exit code {returncode})")
        self.description = str(self)


def _send(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_HEADER, "big") + data)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER)
    if len(header) < _HEADER:
        raise EOFError
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


class Child:
    def __init__(self, warm: Callable[[], Any] | None):
        self.tasks = 0
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # the worker's imports
        self.proc = subprocess.Popen([sys.executable, "-m", "sim.sweep.child"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)
        _send(self.proc.stdin, warm)

    def call(self, fn: Callable, task: Any) -> Any:
        try:
            _send(self.proc.stdin, (fn, task))
            ok, value = _receive(self.proc.stdout)
        except (EOFError, BrokenPipeError, OSError):
            raise ChildDied(self.proc.wait()) from None
        if not ok:
            raise TaskFailed(value)
        return value

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait()


_lock = threading.Lock()
_children: dict[bytes, Child] = {}  # by warm function: a sweep of another kind gets its own child


def run_in_child(fn: Callable, task: Any, warm: Callable[[], Any] | None) -> Any:
    """``fn(task)`` in this process's child (started and warmed on first use)."""
    which = pickle.dumps(warm)
    with _lock:  # one child per worker process, one task at a time, whatever the worker's thread count
        child = _children.get(which)
        if child is None or child.proc.poll() is not None:
            child = _children[which] = Child(warm)
            atexit.register(child.close)
        try:
            result = child.call(fn, task)
        except ChildDied:
            del _children[which]
            raise
        child.tasks += 1
        if child.tasks >= TASKS_PER_PROCESS:  # replaced, as pool workers are (sim/sweep/executor.py)
            child.close()
            del _children[which]
        return result


def main() -> None:
    """The child: warm, then run tasks until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides what stops
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a task's prints go to stderr: the pipe carries replies only
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    warm = _receive(requests)
    if warm is not None:
        warm()
    while True:
        try:
            fn, task = _receive(requests)
        except EOFError:
            return
        try:
            reply = (True, fn(task))
        except Exception as exc:  # noqa: BLE001 - sent back, retried or reported by the coordinator
            reply = (False, f"{type(exc).__name__}: {exc}")
        _send(replies, reply)


if __name__ == "__main__":
    main()

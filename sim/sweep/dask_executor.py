"""The same tasks on a Dask distributed cluster (``--scheduler tcp://HOST:8786``).

Dask does the distribution; this only submits, retries once, and collects, with the
same contract as the local executors (sim/sweep/executor.py). Each task runs in its
worker's child process (sim/sweep/child.py: the simulator's process-wide patches must
not reach the worker's own event loop), which runs ``warm`` once when it starts, so
fixtures are loaded per worker, not per task. Tasks are submitted with
``pure=False``: a retry is a fresh run, never a cached result.
"""

from __future__ import annotations

import itertools
import os
import socket
from collections import deque
from typing import Any, Callable, Hashable

from sim.errors import ConfigError
from sim.sweep.child import run_in_child
from sim.sweep.executor import Done, _settle


_SWEEPS = itertools.count(1)


def _sweep_name() -> str:
    """A name for one sweep's task keys: several sweeps (machines, processes) may share a cluster,
    and two tasks with one key would be taken for one task. No random source: host, pid, count."""
    return f"{socket.gethostname()}-{os.getpid()}-{next(_SWEEPS)}"


def _client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs Dask distributed: pip install 'dask[distributed]'") from None
    try:
        return Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"--scheduler {address}: cannot reach a Dask scheduler there ({exc}); start one with "
                          "`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`, or drop "
                          "--scheduler to use the local process pool") from None


def run_on_dask(todo: list, fn: Callable, *, key: Callable[[Any], Hashable], address: str,
                warm: Callable | None, retries: int, on_result: Callable | None) -> Done:
    from distributed import as_completed

    client = _client(address)
    done: Done = Done(planned=len(todo), executor=f"Dask scheduler {address}")
    try:
        queue = deque((task, 1) for task in todo)
        futures = {}

        run = _sweep_name()

        def submit(task: Any, attempt: int):
            future = client.submit(run_in_child, fn, task, warm, key=f"shadowsim-{run}-{key(task)}#{attempt}",
                                   pure=False)
            futures[future] = (task, attempt)
            return future

        stream = as_completed([submit(t, a) for t, a in queue], loop=client.loop)
        queue.clear()
        try:
            for future in stream:
                task, attempt = futures.pop(future)
                try:
                    outcome, error = future.result(), None
                except Exception as exc:  # noqa: BLE001 - a task's failure is recorded and retried, not raised
                    outcome, error = None, exc
                _settle(done, queue, task, attempt, key(task), outcome, error, retries)
                while queue:
                    stream.add(submit(*queue.popleft()))
                if on_result is not None and (error is None or attempt > retries):
                    on_result(done)
        except KeyboardInterrupt:
            done.interrupted = True
            client.cancel(list(futures))
    finally:
        client.close()
    return done


__all__ = ["run_on_dask"]

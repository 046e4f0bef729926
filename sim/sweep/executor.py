"""Run many independent tasks on this process, a local process pool, or a Dask cluster.

    done = run_tasks(tasks, fn, key=lambda t: t.key, workers=2, warm=load_fixtures)
    done.results        # {key: fn(task)} for every task that succeeded
    done.failures       # Failure(key, error, attempts) for every task that failed twice
    done.interrupted    # Ctrl-C: what finished is kept, the rest is cancelled

``fn`` must be a pure, picklable, module-level function of its task: then the
executor cannot change a result, only when it arrives, and callers that sort by key
get the same bytes from every executor. A task whose ``fn`` raises (or whose worker
dies) is submitted once more; if it fails again it is reported, never dropped.

The simulator patches process-wide state while it runs (the environment, the clock,
moto's backends), so one process runs one task at a time and nothing else: pool
workers are single processes, and on Dask each worker hands its tasks, one at a time,
to a child process of its own (sim/sweep/child.py), whatever the number of threads
it was started with.
"""

from __future__ import annotations

import signal
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Hashable, Iterable, TypeVar

# A long-lived process that runs simulation after simulation keeps growing (bounded caches
# filling, then allocator fragmentation: ~2 MB a task measured over a full sweep), so a worker
# process is replaced after this many tasks; a fresh one costs ~3 s of imports and warming.
TASKS_PER_PROCESS = 200

T = TypeVar("T")
R = TypeVar("R")

@dataclass(frozen=True)
class Failure:
    key: str
    error: str
    attempts: int


@dataclass
class Done(Generic[R]):
    planned: int
    executor: str
    results: dict[Hashable, R] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    retried: int = 0  # tasks that failed once (whether or not the second attempt succeeded)
    interrupted: bool = False

    @property
    def not_run(self) -> int:
        return self.planned - len(self.results) - len(self.failures)


def run_tasks(tasks: Iterable[T], fn: Callable[[T], R], *, key: Callable[[T], Hashable], workers: int = 1,
              scheduler: str | None = None, warm: Callable[[], Any] | None = None, retries: int = 1,
              on_result: Callable[[Done], None] | None = None) -> Done[R]:
    """Run ``fn`` on every task; ``on_result(done)`` after each task finishes (for progress)."""
    todo = list(tasks)
    if scheduler is not None:
        from sim.sweep.dask_executor import run_on_dask

        return run_on_dask(todo, fn, key=key, address=scheduler, warm=warm, retries=retries, on_result=on_result)
    if workers < 1:
        raise ValueError("workers must be 1 or more")
    if workers == 1:
        return _run_here(todo, fn, key, warm, retries, on_result)
    return _run_pool(todo, fn, key, workers, warm, retries, on_result)


def describe(exc: BaseException) -> str:
    # a task that failed in another process arrives already described ("Type: message")
    return getattr(exc, "description", None) or f"{type(exc).__name__}: {exc}"


def _settle(done: Done, queue: deque, task: Any, attempt: int, k: Hashable, outcome: Any,
            error: BaseException | None, retries: int) -> None:
    """Record one finished attempt: a result, a retry (queued again), or a failure."""
    if error is None:
        done.results[k] = outcome
        return
    if attempt == 1:
        done.retried += 1
    if attempt <= retries:
        queue.append((task, attempt + 1))
    else:
        done.failures.append(Failure(str(k), describe(error), attempt))


def _run_here(todo: list, fn: Callable, key: Callable, warm: Callable | None, retries: int,
              on_result: Callable | None) -> Done:
    done: Done = Done(planned=len(todo), executor="this process")
    if warm is not None:
        warm()
    queue = deque((task, 1) for task in todo)
    try:
        while queue:
            task, attempt = queue.popleft()
            try:
                outcome, error = fn(task), None
            except Exception as exc:  # noqa: BLE001 - a task's failure is recorded and retried, not raised
                outcome, error = None, exc
            _settle(done, queue, task, attempt, key(task), outcome, error, retries)
            if on_result is not None and (error is None or attempt > retries):
                on_result(done)
    except KeyboardInterrupt:
        done.interrupted = True
    return done


def _quiet_worker(warm: Callable | None) -> None:
    # Ctrl-C reaches every process in the terminal's group: the parent decides what stops,
    # so a worker ignores it rather than dying mid-task with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if warm is not None:
        warm()


def _pool(workers: int, warm: Callable | None) -> ProcessPoolExecutor:
    # spawn: replacing workers (max_tasks_per_child) needs it, and a fresh interpreter
    # inherits nothing of the coordinator's state
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_quiet_worker,
                               initargs=(warm,), max_tasks_per_child=TASKS_PER_PROCESS)


def _run_pool(todo: list, fn: Callable, key: Callable, workers: int, warm: Callable | None, retries: int,
              on_result: Callable | None) -> Done:
    done: Done = Done(planned=len(todo), executor=f"process pool of {workers}")
    queue = deque((task, 1) for task in todo)
    pool = _pool(workers, warm)
    running: dict[Future, tuple[Any, int]] = {}
    try:
        while queue or running:
            # Keep each worker one task ahead, no more: Ctrl-C then cancels almost everything.
            while queue and len(running) < 2 * workers:
                task, attempt = queue.popleft()
                running[pool.submit(fn, task)] = (task, attempt)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for future in sorted(finished, key=lambda f: str(key(running[f][0]))):
                task, attempt = running.pop(future)
                try:
                    outcome, error = future.result(), None
                except BrokenProcessPool as exc:  # a worker died (killed, out of memory): retry elsewhere
                    outcome, error, broken = None, exc, True
                except Exception as exc:  # noqa: BLE001 - recorded and retried, not raised
                    outcome, error = None, exc
                _settle(done, queue, task, attempt, key(task), outcome, error, retries)
                if on_result is not None and (error is None or attempt > retries):
                    on_result(done)
            if broken:
                pool.shutdown(wait=True, cancel_futures=True)
                pool = _pool(workers, warm)
    except KeyboardInterrupt:
        done.interrupted = True
        _stop_now(pool)
    else:
        pool.shutdown(wait=True)
    return done


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C: drop what has not started and end what is running (its result would not be
    counted anyway). Waiting for the pool instead can hang: with worker replacement
    (max_tasks_per_child) a shutdown interrupted mid-sweep waited for workers that never
    exited, measured here with a real SIGINT."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
    for process in workers:
        process.join()


__all__ = ["Done", "Failure", "describe", "run_tasks"]

"""sim.sweep: the executors (this process, a process pool) and the statistics, on toy tasks.

The Dask executor is tested with the real sweep tasks (tests/unit/alchemiser/test_sweep.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.sweep import distribution, percentile, run_tasks


def square(n: int) -> int:
    if n < 0:
        raise ValueError(f"negative {n}")
    return n * n


def flaky(task: tuple[str, int]) -> int:
    """Fails the first time it sees a task (a marker file remembers), succeeds the second."""
    folder, n = task
    marker = Path(folder) / f"seen-{n}"
    if n % 3 == 0 and not marker.exists():
        marker.write_text("x")
        raise RuntimeError(f"transient failure of {n}")
    return n + 100


def dies_once(task: tuple[str, int]) -> int:
    """Kills its worker process the first time (a crash, out of memory...), succeeds the second."""
    folder, n = task
    marker = Path(folder) / f"died-{n}"
    if n == 2 and not marker.exists():
        marker.write_text("x")
        os._exit(9)
    return n


def child_pid(n: int) -> int:
    return os.getpid()


def record_warm(folder: str) -> None:
    with open(Path(folder) / "warm.log", "a") as out:
        out.write(f"{os.getpid()}\n")


class _Warm:
    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self) -> None:
        record_warm(self.folder)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_task_runs_and_results_do_not_depend_on_the_executor(workers):
    done = run_tasks(range(10), square, key=lambda n: n, workers=workers)
    assert done.results == {n: n * n for n in range(10)}
    assert (done.failures, done.retried, done.interrupted, done.not_run) == ([], 0, False, 0)
    assert done.executor == ("this process" if workers == 1 else "process pool of 2")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_task_is_retried_once_then_reported_with_its_error(workers):
    done = run_tasks([3, -1, 4, -7], square, key=lambda n: n, workers=workers)
    assert done.results == {3: 9, 4: 16}
    assert sorted((f.key, f.error, f.attempts) for f in done.failures) == [
        ("-1", "ValueError: negative -1", 2), ("-7", "ValueError: negative -7", 2)]
    assert done.retried == 2 and done.not_run == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_transient_failure_succeeds_on_its_retry(tmp_path, workers):
    tasks = [(str(tmp_path), n) for n in range(7)]
    done = run_tasks(tasks, flaky, key=lambda t: t[1], workers=workers)
    assert done.results == {n: n + 100 for n in range(7)}
    assert done.failures == [] and done.retried == 3  # 0, 3 and 6 failed once


def test_a_dead_worker_costs_one_attempt_not_the_sweep(tmp_path):
    tasks = [(str(tmp_path), n) for n in range(5)]
    done = run_tasks(tasks, dies_once, key=lambda t: t[1], workers=2)
    assert done.results == {n: n for n in range(5)}
    assert done.failures == [] and done.retried >= 1  # the tasks running beside it broke too, and were retried


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_keeps_what_finished_and_says_it_was_interrupted(workers):
    def stop_after_three(done):
        if len(done.results) >= 3:
            raise KeyboardInterrupt

    done = run_tasks(range(40), square, key=lambda n: n, workers=workers, on_result=stop_after_three)
    assert done.interrupted
    assert 3 <= len(done.results) < 40 and done.not_run == 40 - len(done.results)
    assert all(done.results[n] == n * n for n in done.results)


def test_fixtures_are_loaded_once_per_worker_not_per_task(tmp_path):
    run_tasks(range(12), square, key=lambda n: n, workers=2, warm=_Warm(str(tmp_path)))
    pids = (tmp_path / "warm.log").read_text().split()
    assert len(pids) == 2 and len(set(pids)) == 2


def test_nearest_rank_percentiles_are_measured_values():
    values = sorted([3.0, 1.0, 2.0, 10.0, 4.0])
    assert percentile(values, 50) == 3.0 and percentile(values, 95) == 10.0 and percentile(values, 20) == 1.0
    ten = [float(n) for n in range(1, 11)]
    assert (percentile(ten, 50), percentile(ten, 95), percentile(ten, 99)) == (5.0, 10.0, 10.0)
    with pytest.raises(ValueError):
        percentile([], 50)
    assert distribution([None, 2.0, 1.0, None]) == {"n": 2, "missing": 2, "min": 1.0, "p50": 1.0, "p95": 2.0,
                                                    "p99": 2.0, "max": 2.0}
    assert distribution([None]) == {"n": 0, "missing": 1}


def test_workers_must_be_positive():
    with pytest.raises(ValueError):
        run_tasks([1], square, key=lambda n: n, workers=0)


@pytest.fixture(scope="module")
def dask_address():
    distributed = pytest.importorskip("distributed")
    # threads in this process are enough for toy tasks (the real sweep's Dask test uses processes)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                                  dashboard_address="127.0.0.1:0") as cluster:
        yield cluster.scheduler_address


def test_on_dask_the_same_results_retries_and_failures(dask_address, tmp_path):
    done = run_tasks(range(10), square, key=lambda n: n, scheduler=dask_address)
    assert done.results == {n: n * n for n in range(10)} and done.executor == f"Dask scheduler {dask_address}"
    flaky_done = run_tasks([(str(tmp_path), n) for n in range(7)], flaky, key=lambda t: t[1], scheduler=dask_address)
    assert flaky_done.results == {n: n + 100 for n in range(7)} and flaky_done.retried == 3
    failing = run_tasks([2, -3], square, key=lambda n: n, scheduler=dask_address)
    assert failing.results == {2: 4}
    assert [(f.key, f.error, f.attempts) for f in failing.failures] == [("-3", "ValueError: negative -3", 2)]


def test_on_dask_tasks_run_in_a_warmed_child_not_in_the_worker(dask_address, tmp_path):
    pids = run_tasks(range(8), child_pid, key=lambda n: n, scheduler=dask_address, warm=_Warm(str(tmp_path)))
    warmed = (tmp_path / "warm.log").read_text().split()
    # these workers are threads of this process: one child between them, warmed once
    # (tests/unit/alchemiser/test_sweep.py runs worker processes, a child each)
    assert len(warmed) == 1 and set(map(str, pids.results.values())) == set(warmed)
    assert str(os.getpid()) not in warmed


def test_on_dask_ctrl_c_cancels_the_rest(dask_address):
    def stop(done):
        raise KeyboardInterrupt

    done = run_tasks(range(30), square, key=lambda n: n, scheduler=dask_address, on_result=stop)
    assert done.interrupted and len(done.results) >= 1 and done.not_run == 30 - len(done.results)


def test_pool_workers_are_replaced_after_a_number_of_tasks(monkeypatch):
    from sim.sweep import executor

    monkeypatch.setattr(executor, "TASKS_PER_PROCESS", 3)
    done = run_tasks(range(12), child_pid, key=lambda n: n, workers=2)
    assert len(done.results) == 12 and len(set(done.results.values())) >= 4  # 12 tasks, at most 3 each


def test_a_dask_workers_child_is_replaced_after_a_number_of_tasks(monkeypatch):
    from sim.sweep import child

    monkeypatch.setattr(child, "TASKS_PER_PROCESS", 3)
    monkeypatch.setattr(child, "_children", {})  # not the children earlier tests started in this process
    pids = [child.run_in_child(child_pid, n, None) for n in range(7)]
    assert len(set(pids[:3])) == 1 and len(set(pids)) == 3 and os.getpid() not in pids
    assert child.run_in_child(square, 4, None) == 16
    with pytest.raises(child.TaskFailed, match="ValueError: negative -2"):
        child.run_in_child(square, -2, None)

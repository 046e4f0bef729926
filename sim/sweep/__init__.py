"""Many independent simulations at once: executors (here, a process pool, Dask) and the
statistics their results are summarised with. Nothing here knows what a task simulates."""

from sim.sweep.executor import Done, Failure, run_tasks
from sim.sweep.stats import distribution, percentile

__all__ = ["Done", "Failure", "distribution", "percentile", "run_tasks"]

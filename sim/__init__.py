"""shadowsim's simulator: AWS services, time and faults; nothing about trading."""

__version__ = "0.1.0"

from sim.errors import AwsError, ConfigError, SafetyError, SimError  # noqa: E402
from sim.faults import FaultPlan, load_fault_plan  # noqa: E402
from sim.result import RunResult  # noqa: E402
from sim.simulation import Simulation  # noqa: E402
from sim.stack import Stack, load_stack  # noqa: E402

__all__ = ["AwsError", "ConfigError", "FaultPlan", "RunResult", "SafetyError", "SimError", "Simulation", "Stack",
           "load_fault_plan", "load_stack", "__version__"]

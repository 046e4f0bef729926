"""Fault plans: what goes wrong, where and when."""

from sim.faults.plan import FaultAction, FaultMatch, FaultPlan, FaultRule, load_fault_plan
from sim.faults.inject import Injector

__all__ = ["FaultAction", "FaultMatch", "FaultPlan", "FaultRule", "Injector", "load_fault_plan"]

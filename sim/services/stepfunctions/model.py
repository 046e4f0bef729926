"""Step Functions: state machines, executions, activities and task tokens on the virtual clock.

Handlers and control clients reach it through ordinary boto3 ``stepfunctions``
calls (the API front routes them to ``api``); EventBridge and Scheduler reach
it through the router (``start_execution``). Executions run the ASL
interpreter in ``sim.asl``; their Task states reach other services through
``Integrations`` (the interpreter's ports).
"""

from __future__ import annotations

import json
from typing import Any

from sim.asl.errors import AslDefinitionError
from sim.asl.execution import Execution
from sim.asl.machine import Machine, compile_machine
from sim.errors import AwsError, aws_error
from sim.services.base import Kernel
from sim.services.stepfunctions.activities import Activities
from sim.services.stepfunctions.api import StepFunctionsApi
from sim.errors import Refused
from sim.services.stepfunctions.integrations import Integrations, refusal

DEFAULT_ROLE = "arn:aws:iam::{account}:role/shadowsim-states"
NAME_MAX = 80  # docs: state machine and execution names are 1-80 characters


def sfn_error(code: str, message: str) -> AwsError:
    return aws_error(code, message, 400)


class StateMachine:
    def __init__(self, arn: str, name: str, definition: str, machine: Machine, kind: str, role_arn: str,
                 created) -> None:
        self.arn, self.name, self.definition, self.machine = arn, name, definition, machine
        self.kind, self.role_arn, self.created = kind, role_arn, created

    def describe(self) -> dict:
        return {"stateMachineArn": self.arn, "name": self.name, "status": "ACTIVE",
                "definition": self.definition, "roleArn": self.role_arn, "type": self.kind,
                "creationDate": self.created, "loggingConfiguration": {"level": "OFF", "includeExecutionData": False}}


class StepFunctionsService(StepFunctionsApi):
    def __init__(self, k: Kernel, specs: list | None = None, mock_config: Any = None) -> None:
        self.k = k
        self.machines: dict[str, StateMachine] = {}
        self.executions: dict[str, Execution] = {}
        self.integrations = Integrations(k, self)
        self.activities = Activities(k, self.integrations)
        self.integrations.activities = self.activities
        self.mock_config = mock_config
        self.requests = 0
        self.transitions = 0
        for spec in specs or []:
            self.create(spec.name, spec.definition_text(), spec.type, spec.role_arn)

    # -- the model, for the kernel and the CLI --------------------------------------------
    def create(self, name: str, definition: str | dict, kind: str = "STANDARD", role_arn: str | None = None,
               ) -> StateMachine:
        text = definition if isinstance(definition, str) else json.dumps(definition)
        machine = load_machine(text)
        arn = self.k.arn("states", f"stateMachine:{name}")
        if arn in self.machines:
            if self.machines[arn].definition == text:
                return self.machines[arn]
            raise sfn_error("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
        sm = StateMachine(arn, name, text, machine, kind, role_arn or DEFAULT_ROLE.format(account=self.k.account_id),
                          self.k.clock.now())
        self.machines[arn] = sm
        return sm

    def machine(self, ref: str) -> StateMachine:
        arn = ref if ref.startswith("arn:") else self.k.arn("states", f"stateMachine:{ref}")
        sm = self.machines.get(arn)
        if sm is None:
            raise sfn_error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return sm

    def start(self, sm: StateMachine, input_text: str | None, name: str | None, origin: str,
              mocks: Any = None) -> Execution:
        name = name or self.k.uuid("states.execution")
        if not 1 <= len(name) <= NAME_MAX:
            raise sfn_error("InvalidName", f"Invalid Name: '{name}'")
        try:
            value = json.loads(input_text) if input_text not in (None, "") else {}
        except json.JSONDecodeError as exc:
            raise sfn_error("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{exc.msg}'") from None
        if sm.kind == "EXPRESS":  # an Express execution ARN ends in a UUID of its own
            arn = self.k.arn("states", f"express:{sm.name}:{name}:{self.k.uuid('states.express')}")
        else:
            arn = self.k.arn("states", f"execution:{sm.name}:{name}")
        existing = self.executions.get(arn)
        if existing is not None and sm.kind == "STANDARD":
            # Standard StartExecution is idempotent on name + input (docs: StartExecution).
            if existing.status == "RUNNING" and existing.input == value:
                return existing
            raise sfn_error("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        ex = Execution(arn=arn, name=name, sm_arn=sm.arn, sm_name=sm.name, machine=sm.machine, kind=sm.kind,
                       input=value, role_arn=sm.role_arn, clock=self.k.clock, ports=self.integrations,
                       rng=_LazyRng(self.k.streams, f"states.{sm.name}.{name}"), region=self.k.region,
                       trace=self._trace)
        ex.mocks = mocks
        self.executions[arn] = ex
        self.k.trace.add(self.k.clock.now_s, "states.start", sm.name, execution=name, origin=origin)
        return ex.start()

    def execution(self, arn: str) -> Execution:
        ex = self.executions.get(arn)
        if ex is None:
            raise sfn_error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return ex

    def _trace(self, kind: str, ex: Execution, **attrs: Any) -> None:
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.k.trace.add(self.k.clock.now_s, f"states.{kind.split('.')[-1]}", ex.sm_name, execution=ex.name, **attrs)

    # -- the API (boto3 "stepfunctions") ----------------------------------------------------
    def api(self, op: str, params: dict, caller: str):
        self.requests += 1
        handler = getattr(self, f"_api_{op}", None)
        if handler is None:
            raise aws_error("UnknownOperationException", f"the simulator does not model stepfunctions:{op}", 400)
        result = handler(params, caller)
        if hasattr(result, "send"):  # a generator: waits on the clock
            result = yield from result
        return result


class _LazyRng:
    """The execution's seeded stream, made on first use (most executions never draw)."""

    __slots__ = ("_streams", "_name", "_rng")

    def __init__(self, streams: Any, name: str) -> None:
        self._streams, self._name, self._rng = streams, name, None

    def __getattr__(self, attr: str) -> Any:
        if self._rng is None:
            self._rng = self._streams.rng(self._name)
        return getattr(self._rng, attr)


def load_machine(text: str) -> Machine:
    """Compile a definition for CreateStateMachine; an invalid one is AWS's InvalidDefinition."""
    try:
        from sim.asl import validate
        validate.load(text)
        machine = compile_machine(text)
    except AslDefinitionError as exc:
        raise sfn_error("InvalidDefinition", f"Invalid State Machine Definition: '{exc}'") from None
    _refuse_unmodelled(machine)
    return machine


def _refuse_unmodelled(machine: Machine, where: str = "") -> None:
    """Refuse, by name and before anything runs, what the simulator does not model."""
    for name, state in machine.states.items():
        pointer = f"{where}/States/{name}"
        if state.type == "Task":
            why = refusal(state.raw.get("Resource", ""))
            if why:
                raise Refused(f"{pointer}/Resource: {why}")
        if state.type == "Map" and state.raw.get("ResultWriter"):
            raise Refused(f"{pointer}/ResultWriter: exporting Map Run results to S3 is not modelled; remove "
                          "ResultWriter (the Map's output then holds the results)")
        if state.processor is not None:
            _refuse_unmodelled(state.processor, f"{pointer}/ItemProcessor")
        for i, branch in enumerate(state.branches):
            _refuse_unmodelled(branch, f"{pointer}/Branches/{i}")


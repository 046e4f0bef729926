"""The Step Functions operations, as boto3 names them, in AWS's response shapes."""

from __future__ import annotations

import json
from typing import Any

from sim.errors import aws_error

PAGE_MAX = 1000  # GetExecutionHistory / ListExecutions maxResults upper bound


def _err(code: str, message: str):
    return aws_error(code, message, 400)


class StepFunctionsApi:
    """Mixed into StepFunctionsService: each ``_api_<Operation>(params, caller)``."""

    # -- state machines --------------------------------------------------------------------
    def _api_CreateStateMachine(self, p: dict, caller: str) -> dict:
        sm = self.create(p["name"], p["definition"], p.get("type", "STANDARD"), p.get("roleArn"))
        return {"stateMachineArn": sm.arn, "creationDate": sm.created}

    def _api_DescribeStateMachine(self, p: dict, caller: str) -> dict:
        return self.machine(p["stateMachineArn"]).describe()

    def _api_ListStateMachines(self, p: dict, caller: str) -> dict:
        return {"stateMachines": [{"stateMachineArn": sm.arn, "name": sm.name, "type": sm.kind,
                                   "creationDate": sm.created} for sm in self.machines.values()]}

    def _api_DeleteStateMachine(self, p: dict, caller: str) -> dict:
        self.machines.pop(p["stateMachineArn"], None)
        return {}

    def _api_UpdateStateMachine(self, p: dict, caller: str) -> dict:
        from sim.services.stepfunctions.model import load_machine
        sm = self.machine(p["stateMachineArn"])
        if "definition" in p:
            sm.machine, sm.definition = load_machine(p["definition"]), p["definition"]
        if "roleArn" in p:
            sm.role_arn = p["roleArn"]
        return {"updateDate": self.k.clock.now()}

    def _api_ValidateStateMachineDefinition(self, p: dict, caller: str) -> dict:
        from sim.asl import validate
        found = validate.validate(p["definition"])
        diagnostics = [{"severity": d.severity, "code": d.code, "message": d.message, "location": d.location}
                       for d in found]
        ok = not any(d.severity == "ERROR" for d in found)
        return {"result": "OK" if ok else "FAIL", "diagnostics": diagnostics, "truncated": False}

    # -- executions ----------------------------------------------------------------------
    def _api_StartExecution(self, p: dict, caller: str) -> dict:
        ex = self.start(self.machine(p["stateMachineArn"]), p.get("input"), p.get("name"), caller)
        return {"executionArn": ex.arn, "startDate": ex.start_date}

    def _api_StartSyncExecution(self, p: dict, caller: str):
        sm = self.machine(p["stateMachineArn"])
        if sm.kind != "EXPRESS":
            raise _err("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
        ex = self.start(sm, p.get("input"), p.get("name"), caller)
        yield ex.done
        out = {k: v for k, v in ex.describe().items() if k not in ("redriveCount", "redriveStatus")}
        out["billingDetails"] = {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}
        return out

    def _api_DescribeExecution(self, p: dict, caller: str) -> dict:
        ex = self.execution(p["executionArn"])
        if ex.kind == "EXPRESS":
            raise _err("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
        return ex.describe()

    def _api_DescribeStateMachineForExecution(self, p: dict, caller: str) -> dict:
        ex = self.execution(p["executionArn"])
        sm = self.machine(ex.sm_arn)
        return {"stateMachineArn": sm.arn, "name": sm.name, "definition": sm.definition, "roleArn": sm.role_arn,
                "updateDate": sm.created}

    def _api_StopExecution(self, p: dict, caller: str) -> dict:
        ex = self.execution(p["executionArn"])
        if ex.kind == "EXPRESS":  # docs: StopExecution "is not supported by EXPRESS state machines"
            raise _err("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
        ex.stop(p.get("error"), p.get("cause"))
        return {"stopDate": ex.stop_date or self.k.clock.now()}

    def _api_ListExecutions(self, p: dict, caller: str) -> dict:
        sm = self.machine(p["stateMachineArn"])
        wanted = p.get("statusFilter")
        rows = [ex for ex in self.executions.values() if ex.sm_arn == sm.arn and (not wanted or ex.status == wanted)]
        rows.reverse()  # newest first, as AWS lists them
        start = _page_start(p.get("nextToken"))
        size = p.get("maxResults") or PAGE_MAX
        out = []
        for ex in rows[start:start + size]:
            row = {"executionArn": ex.arn, "stateMachineArn": ex.sm_arn, "name": ex.name, "status": ex.status,
                   "startDate": ex.start_date}
            if ex.stop_date:
                row["stopDate"] = ex.stop_date
            out.append(row)
        if start + size < len(rows):
            return {"executions": out, "nextToken": str(start + size)}
        return {"executions": out}

    def _api_GetExecutionHistory(self, p: dict, caller: str) -> dict:
        ex = self.execution(p["executionArn"])
        if ex.kind == "EXPRESS":
            raise _err("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
        events = ex.history.aws()
        if p.get("reverseOrder"):
            events.reverse()
        start = _page_start(p.get("nextToken"))
        size = p.get("maxResults") or PAGE_MAX
        page = events[start:start + size]
        if p.get("includeExecutionData") is False:
            page = [_without_data(e) for e in page]
        out: dict[str, Any] = {"events": page}
        if start + size < len(events):
            out["nextToken"] = str(start + size)
        return out

    # -- task tokens ----------------------------------------------------------------------
    def _api_SendTaskSuccess(self, p: dict, caller: str) -> dict:
        try:
            output = json.loads(p["output"])
        except (TypeError, json.JSONDecodeError):
            raise _err("InvalidOutput", f"Invalid Output: '{p.get('output')}'") from None
        self.integrations.answer(p["taskToken"], ("success", output))
        return {}

    def _api_SendTaskFailure(self, p: dict, caller: str) -> dict:
        self.integrations.answer(p["taskToken"], ("failure", p.get("error"), p.get("cause")))
        return {}

    def _api_SendTaskHeartbeat(self, p: dict, caller: str) -> dict:
        self.integrations.heartbeat(p["taskToken"])
        return {}

    # -- activities -------------------------------------------------------------------------
    def _api_CreateActivity(self, p: dict, caller: str) -> dict:
        arn = self.activities.create(p["name"])
        return {"activityArn": arn, "creationDate": self.k.clock.now()}

    def _api_DescribeActivity(self, p: dict, caller: str) -> dict:
        act = self.activities.get(p["activityArn"])
        return {"activityArn": act.arn, "name": act.name, "creationDate": act.created}

    def _api_DeleteActivity(self, p: dict, caller: str) -> dict:
        self.activities.delete(p["activityArn"])
        return {}

    def _api_ListActivities(self, p: dict, caller: str) -> dict:
        return {"activities": [{"activityArn": a.arn, "name": a.name, "creationDate": a.created}
                               for a in self.activities.all()]}

    def _api_GetActivityTask(self, p: dict, caller: str):
        return (yield from self.activities.get_task(p["activityArn"], p.get("workerName") or caller))


def _page_start(token: str | None) -> int:
    """The index a nextToken this API handed out stands for; anything else is AWS's InvalidToken."""
    if not token:
        return 0
    if not token.isdigit():
        raise _err("InvalidToken", f"Invalid Token: '{token}'")
    return int(token)


def _without_data(event: dict) -> dict:
    out = {}
    for key, value in event.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in ("input", "output")}
        out[key] = value
    return out

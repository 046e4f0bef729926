"""Static checks of one state's fields (part of ``validate``).

The per-type field sets are those of the ASL specification plus the JSONata
additions of the Step Functions developer guide ("Transforming data with
JSONata": Arguments, Output, Items, Condition; Assign in every type but
Succeed and Fail). ``Type``, ``Comment`` and ``QueryLanguage`` are accepted on
every state.  A field legal only in the other query language is reported with
the wording CreateStateMachine uses for it.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from sim.asl.validate_paths import check_dollar_value, check_path, is_jsonata, opens_jsonata
from sim.asl.validate_rules import (JSONATA, JSONPATH, M_MANY_OF, M_NONE_OF, M_REQUIRED, M_UNSUPPORTED,
                                    check_catch, check_choices, check_retry, is_int, is_number, is_timestamp,
                                    ql_field_error)

TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_IO = {"InputPath", "OutputPath", "Output", "Assign"}
_RESULT = {"ResultPath", "ResultSelector", "Parameters", "Arguments", "Retry", "Catch"}
FIELDS: dict[str, set[str]] = {
    "Pass": _IO | {"Parameters", "Result", "ResultPath", "Next", "End"},
    "Task": _IO | _RESULT | {"Resource", "Credentials", "TimeoutSeconds", "TimeoutSecondsPath",
                             "HeartbeatSeconds", "HeartbeatSecondsPath", "Next", "End"},
    "Choice": _IO | {"Choices", "Default"},
    "Wait": _IO | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Next", "End"},
    "Succeed": {"InputPath", "OutputPath", "Output"},
    "Fail": {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _IO | _RESULT | {"Branches", "Next", "End"},
    "Map": _IO | (_RESULT - {"Arguments"}) | {
        "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "ItemReader", "ItemBatcher",
        "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath", "Label",
        "Next", "End"},
}
COMMON = {"Type", "Comment", "QueryLanguage"}
JSONPATH_ONLY = {"InputPath", "OutputPath", "Parameters", "ResultPath", "ResultSelector", "Result", "ItemsPath",
                 "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
                 "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath",
                 "ErrorPath", "CausePath"}
JSONATA_ONLY = {"Arguments", "Output", "Items"}
REFERENCE_PATHS = ("SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "ItemsPath",
                   "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath")
_NOT_JSONATA = {"Type", "Comment", "QueryLanguage", "Next", "End", "Default", "Resource", "Label",
                "ItemProcessor", "Iterator", "Branches"}
_ARN = re.compile(r"arn:[a-z0-9-]+:[a-z0-9-]+:[^:]*:[^:]*:.+")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOOKS_LIKE_PATH = re.compile(r"\$(\$|\.|\[|$)|States\.[A-Za-z]+\(")
M_JSONATA_HERE = "JSONata expressions ({% ... %}) are only supported when the QueryLanguage is 'JSONata'"

Report = Any
SubMachine = Callable[[Any, str, str], None]  # (definition, pointer, kind: "branch" | "processor")


class StateCheck:
    """Checks one state; ``sub`` validates a nested machine (Map / Parallel)."""

    def __init__(self, state: dict, ptr: str, ql: str, rep: Report, sub: SubMachine) -> None:
        self.s, self.ptr, self.ql, self.rep, self.sub = state, ptr, ql, rep, sub

    def run(self) -> None:
        kind = self.s.get("Type")
        if "Type" not in self.s:
            self.rep.error(self.ptr, M_REQUIRED.format("Type"))
            return
        if kind not in TYPES:
            self.rep.error(f"{self.ptr}/Type", f"Value should be one of the following: [{', '.join(TYPES)}]")
            return
        self.fields(kind)
        self.transition(kind)
        self.io_paths()
        self.templates()
        getattr(self, "t_" + kind.lower())()
        if self.ql == JSONATA:
            self.jsonata_strings(self.s, self.ptr, top=True)

    # ------------------------------------------------------------ shared
    def fields(self, kind: str) -> None:
        for f in self.s:
            if f in COMMON:
                continue
            if f not in FIELDS[kind]:
                self.rep.error(f"{self.ptr}/{f}", M_UNSUPPORTED.format(f))
            elif (f in JSONPATH_ONLY and self.ql == JSONATA) or (f in JSONATA_ONLY and self.ql == JSONPATH):
                self.rep.error(f"{self.ptr}/{f}", ql_field_error(f, self.ql))

    def transition(self, kind: str) -> None:
        if kind in ("Choice", "Succeed", "Fail"):
            return
        has_next, end = "Next" in self.s, self.s.get("End")
        if "End" in self.s and type(end) is not bool:
            self.rep.error(f"{self.ptr}/End", "The value of 'End' must be a boolean")
        if has_next and end is True:
            self.rep.error(self.ptr, M_MANY_OF.format("Next, End"))
        elif not has_next and end is not True:
            self.rep.error(self.ptr, M_NONE_OF.format("Next, End"))
        if has_next and type(self.s["Next"]) is not str:
            self.rep.error(f"{self.ptr}/Next", "The value of 'Next' must be a state name (a string)")

    def io_paths(self) -> None:
        if self.ql != JSONPATH:
            return
        for f in ("InputPath", "OutputPath"):
            if self.s.get(f) is not None:
                self.path(f, reference=False)
        if self.s.get("ResultPath") is not None:
            self.path("ResultPath", reference=True, roots=("doc",))
        for f in REFERENCE_PATHS:
            if f in self.s:
                self.path(f, reference=True)

    def path(self, f: str, reference: bool, roots: tuple = ("doc", "ctx", "var")) -> None:
        reason = check_path(self.s[f], reference, roots)
        if reason:
            what = "Reference Path" if reference else "JSONPath"
            self.rep.error(f"{self.ptr}/{f}", f"The value for the field '{f}' must be a valid {what}: {reason}")

    def templates(self) -> None:
        for f in ("Parameters", "ResultSelector", "ItemSelector"):
            if f in self.s:
                self.template(self.s[f], f"{self.ptr}/{f}")
        if isinstance(self.s.get("Assign"), dict):
            self.template(self.s["Assign"], f"{self.ptr}/Assign", assign=True)

    def template(self, tpl: Any, ptr: str, assign: bool = False) -> None:
        """A JSONPath payload template: every ``key.$`` must hold a path or an intrinsic call."""
        if assign and isinstance(tpl, dict):
            self.variable_names(tpl, ptr)
        if self.ql == JSONPATH:
            self.walk_template(tpl, ptr, warn=not assign)

    def walk_template(self, tpl: Any, ptr: str, warn: bool) -> None:
        if isinstance(tpl, list):
            for i, item in enumerate(tpl):
                self.walk_template(item, f"{ptr}/{i}", warn)
            return
        if not isinstance(tpl, dict):
            return
        for key, value in tpl.items():
            p = f"{ptr}/{escape(key)}"
            if key.endswith(".$"):
                reason = check_dollar_value(value)
                if reason:
                    self.rep.error(p, f"The value for the field '{key}' must be a valid JSONPath or a valid "
                                      f"intrinsic function call ({reason})")
            elif warn and type(value) is str and _LOOKS_LIKE_PATH.match(value):
                self.rep.warning(p, f"The field '{key}' holds a value that looks like a JSONPath or an intrinsic "
                                    f"function, but its name does not end with '.$': it is passed as a literal",
                                 "NO_DOLLAR")
            else:
                self.walk_template(value, p, warn)

    def variable_names(self, assign: dict, ptr: str) -> None:
        for key in assign:
            name = key[:-2] if key.endswith(".$") else key
            if name == "states":
                self.rep.error(f"{ptr}/{escape(key)}", "Cannot assign to reserved variable '$states'.",
                               "RESERVED_VARIABLE_NAME")
            elif not _VARIABLE.fullmatch(name):
                self.rep.error(f"{ptr}/{escape(key)}", f"Invalid variable name '{name}': the variable name "
                                                       f"contains invalid characters.", "INVALID_VARIABLE_NAME")

    def jsonata_strings(self, value: Any, ptr: str, top: bool = False) -> None:
        if opens_jsonata(value):
            self.rep.error(ptr, "JSONata string must start with {% and end with %}")
        elif isinstance(value, dict):
            for k, v in value.items():
                if not (top and k in _NOT_JSONATA):
                    self.jsonata_strings(v, f"{ptr}/{escape(k)}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.jsonata_strings(v, f"{ptr}/{i}")

    def exclusive(self, *names: str) -> None:
        present = [n for n in names if n in self.s]
        if len(present) > 1:
            self.rep.error(f"{self.ptr}/{present[1]}", M_MANY_OF.format(", ".join(names)))

    def number(self, f: str, ok: Callable[[Any], bool], what: str) -> None:
        """A numeric field: a number within bounds, or (JSONata only) an expression."""
        if f not in self.s:
            return
        v = self.s[f]
        if is_jsonata(v):
            if self.ql != JSONATA:
                self.rep.error(f"{self.ptr}/{f}", M_JSONATA_HERE)
        elif not ok(v):
            self.rep.error(f"{self.ptr}/{f}", f"The value of '{f}' must be {what}, but was {v!r}")

    def retry_catch(self) -> None:
        if "Retry" in self.s:
            check_retry(self.s["Retry"], f"{self.ptr}/Retry", self.rep)
        if "Catch" in self.s:
            check_catch(self.s["Catch"], f"{self.ptr}/Catch", self.ql, self.rep, self.template)

    # ------------------------------------------------------------ per type
    def t_pass(self) -> None:
        if self.ql == JSONPATH and _has_dollar_key(self.s.get("Result")):
            self.rep.warning(f"{self.ptr}/Result", "The Result of a Pass state is static: keys ending in '.$' "
                                                   "are not evaluated as paths", "PASS_RESULT_IS_STATIC")

    def t_task(self) -> None:
        self.resource()
        for f in ("TimeoutSeconds", "HeartbeatSeconds"):
            self.exclusive(f, f + "Path")
            self.number(f, lambda v: is_int(v) and 1 <= v <= 99999999, "a positive integer (at most 99999999)")
        t, h = self.s.get("TimeoutSeconds"), self.s.get("HeartbeatSeconds")
        if is_int(t) and is_int(h) and h >= t:
            self.rep.error(f"{self.ptr}/HeartbeatSeconds",
                           "The value of 'HeartbeatSeconds' must be smaller than the value of 'TimeoutSeconds'")
        if "Credentials" in self.s and not isinstance(self.s["Credentials"], dict):
            self.rep.error(f"{self.ptr}/Credentials", "The value of 'Credentials' must be a JSON object")
        elif self.ql == JSONPATH and "Credentials" in self.s:
            self.template(self.s["Credentials"], f"{self.ptr}/Credentials")
        self.retry_catch()

    def resource(self) -> None:
        res = self.s.get("Resource")
        if "Resource" not in self.s:
            self.rep.error(self.ptr, M_REQUIRED.format("Resource"))
        elif type(res) is not str or not _ARN.fullmatch(res):
            self.rep.error(f"{self.ptr}/Resource", f"Value is not a valid resource ARN: {res!r}", "INVALID_RESOURCE")
        else:
            region, account = res.split(":")[3:5]
            if (region and not _REGION.fullmatch(region)) or (account and not re.fullmatch(r"\d{12}", account)):
                self.rep.warning(f"{self.ptr}/Resource",
                                 f"The Resource ARN has placeholder parts (region {region!r}, account {account!r}): "
                                 f"it names no deployable resource; substitute them before creating the state "
                                 f"machine", "INVALID_RESOURCE")

    def t_choice(self) -> None:
        check_choices(self.s, self.ptr, self.ql, self.rep, self.template)
        if "Default" in self.s and type(self.s["Default"]) is not str:
            self.rep.error(f"{self.ptr}/Default", "The value of 'Default' must be a state name (a string)")

    def t_wait(self) -> None:
        names = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
        present = [n for n in names if n in self.s]
        if len(present) != 1:
            self.rep.error(self.ptr, (M_NONE_OF if not present else M_MANY_OF).format(", ".join(names)))
        self.number("Seconds", lambda v: is_int(v) and 0 <= v <= 99999999, "an integer from 0 to 99999999")
        self.number("Timestamp", is_timestamp, "an ISO-8601 timestamp such as 2026-01-12T14:30:00Z")

    def t_succeed(self) -> None:
        return None

    def t_fail(self) -> None:
        for f in ("Error", "Cause"):
            self.exclusive(f, f + "Path")
            v = self.s.get(f)
            if f in self.s and type(v) is not str:
                self.rep.error(f"{self.ptr}/{f}", f"The value of '{f}' must be a string")
            elif is_jsonata(v) and self.ql == JSONPATH:
                self.rep.warning(f"{self.ptr}/{f}", M_JSONATA_HERE + ": this text is used literally", "NO_PATH")
            elif type(v) is str and self.ql == JSONPATH and check_path(v) is None:
                self.rep.warning(f"{self.ptr}/{f}", f"The value looks like a path, but the field is '{f}', not "
                                                    f"'{f}Path': it is used literally", "NO_PATH")
            if self.ql == JSONPATH and f + "Path" in self.s:
                self.path_or_intrinsic(f + "Path")

    def path_or_intrinsic(self, f: str) -> None:
        reason = check_dollar_value(self.s[f])
        if reason:
            self.rep.error(f"{self.ptr}/{f}", f"The value for the field '{f}' must be a valid JSONPath or a valid "
                                              f"intrinsic function call ({reason})")

    def t_parallel(self) -> None:
        branches = self.s.get("Branches")
        if "Branches" not in self.s:
            self.rep.error(self.ptr, M_REQUIRED.format("Branches"))
        elif not isinstance(branches, list) or not branches:
            self.rep.error(f"{self.ptr}/Branches", "The value of 'Branches' must be a non-empty array")
        else:
            for i, branch in enumerate(branches):
                self.sub(branch, f"{self.ptr}/Branches/{i}", "branch")
        self.retry_catch()

    def t_map(self) -> None:
        procs = [n for n in ("ItemProcessor", "Iterator") if n in self.s]
        if len(procs) != 1:
            self.rep.error(self.ptr, (M_NONE_OF if not procs else M_MANY_OF).format("ItemProcessor, Iterator"))
        for n in procs:
            self.sub(self.s[n], f"{self.ptr}/{n}", "processor")
        self.exclusive("ItemSelector", "Parameters")
        self.exclusive("MaxConcurrency", "MaxConcurrencyPath")
        self.exclusive("ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
        self.exclusive("ToleratedFailureCount", "ToleratedFailureCountPath")
        self.number("MaxConcurrency", lambda v: is_int(v) and 0 <= v, "an integer >= 0")
        self.number("ToleratedFailurePercentage", lambda v: is_number(v) and 0 <= v <= 100, "a number from 0 to 100")
        self.number("ToleratedFailureCount", lambda v: is_int(v) and 0 <= v, "an integer >= 0")
        items = self.s.get("Items")
        if "Items" in self.s and not (isinstance(items, list) or is_jsonata(items)):
            self.rep.error(f"{self.ptr}/Items", "The value of 'Items' must be an array or a JSONata expression")
        for f in ("ItemReader", "ResultWriter", "ItemBatcher"):
            if f in self.s and not isinstance(self.s[f], dict):
                self.rep.error(f"{self.ptr}/{f}", f"The value of '{f}' must be a JSON object")
            elif f in self.s and self.ql == JSONPATH:
                self.template(self.s[f].get("Parameters"), f"{self.ptr}/{f}/Parameters")
        self.retry_catch()


def _has_dollar_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k.endswith(".$") or _has_dollar_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_dollar_key(v) for v in value)
    return False


def escape(token: str) -> str:
    """One JSON-pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def check_state(state: Any, ptr: str, ql: str, rep: Report, sub: SubMachine) -> None:
    if not isinstance(state, dict):
        rep.error(ptr, "A state must be a JSON object")
        return
    StateCheck(state, ptr, ql, rep, sub).run()

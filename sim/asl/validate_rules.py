"""Static checks of Retry / Catch entries and Choice rules (part of ``validate``).

Rules from the ASL specification ("Error Handling", "Choice Rules") and the
Step Functions developer guide (JitterStrategy, MaxDelaySeconds, Condition);
the message texts follow what CreateStateMachine / ValidateStateMachineDefinition
answer where that wording is known (e.g. "These fields are required: [...]",
"Field 'X' is not supported").
"""

from __future__ import annotations

import re
from typing import Any, Callable

from sim.asl.validate_paths import check_path, is_jsonata

JSONPATH, JSONATA = "JSONPath", "JSONata"
M_UNSUPPORTED = "Field '{}' is not supported"
M_REQUIRED = "These fields are required: [{}]"
M_NONE_OF = "This object should have only one of the following fields: [{}]"
M_MANY_OF = "There should only be one of the following fields: [{}]"
M_PATH_ONLY = "The QueryLanguage is set to 'JSONata', but field '{}' is only supported for the 'JSONPath' QueryLanguage"
M_ATA_ONLY = "The QueryLanguage is set to 'JSONPath', but field '{}' is only supported for the 'JSONata' QueryLanguage"

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_FAMILIES = {"String": str, "Numeric": (int, float), "Boolean": bool, "Timestamp": str}
_COMPARISONS = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
OPERATORS: dict[str, str] = {  # operator -> the kind of operand it takes
    **{f"{fam}{cmp}": fam for fam in _FAMILIES for cmp in _COMPARISONS if not (fam == "Boolean" and cmp != "Equals")},
    **{f"{fam}{cmp}Path": "path" for fam in _FAMILIES for cmp in _COMPARISONS
       if not (fam == "Boolean" and cmp != "Equals")},
    "StringMatches": "String",
    **{f"Is{t}": "flag" for t in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")},
}
_COMBINATORS = ("And", "Or", "Not", "Variable")
_RETRY_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                 "JitterStrategy", "Comment"}
_CATCH_FIELDS = {JSONPATH: {"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"},
                 JSONATA: {"ErrorEquals", "Next", "Output", "Assign", "Comment"}}

Report = Any  # validate.Report: .error(location, message, code=...) / .warning(...)


def is_int(v: Any) -> bool:
    return (type(v) is int) or (type(v) is float and v.is_integer())


def is_number(v: Any) -> bool:
    return type(v) in (int, float)


def is_timestamp(v: Any) -> bool:
    return type(v) is str and _TIMESTAMP.fullmatch(v) is not None


def ql_field_error(field: str, ql: str) -> str:
    return M_PATH_ONLY.format(field) if ql == JSONATA else M_ATA_ONLY.format(field)


# ---------------------------------------------------------------- Retry / Catch

def check_retry(retry: Any, ptr: str, rep: Report) -> None:
    if not _entries(retry, ptr, rep):
        return
    for i, r in enumerate(retry):
        p = f"{ptr}/{i}"
        if not isinstance(r, dict):
            rep.error(p, "A Retrier must be a JSON object")
            continue
        _unknown(r, _RETRY_FIELDS, p, rep)
        _error_equals(r, p, rep, i == len(retry) - 1)
        _retry_numbers(r, p, rep)


def _retry_numbers(r: dict, p: str, rep: Report) -> None:
    checks = (("IntervalSeconds", lambda v: is_int(v) and 1 <= v <= 99999999, "an integer from 1 to 99999999"),
              ("MaxAttempts", lambda v: is_int(v) and 0 <= v <= 99999999, "an integer from 0 to 99999999"),
              ("BackoffRate", lambda v: is_number(v) and v >= 1.0, "a number greater than or equal to 1.0"),
              ("MaxDelaySeconds", lambda v: is_int(v) and 1 <= v <= 31622400, "an integer from 1 to 31622400"))
    for field, ok, what in checks:
        if field in r and not ok(r[field]):
            rep.error(f"{p}/{field}", f"The value of '{field}' must be {what}, but was {r[field]!r}")
    if "JitterStrategy" in r and r["JitterStrategy"] not in ("FULL", "NONE"):
        rep.error(f"{p}/JitterStrategy", "Value should be one of the following: [FULL, NONE]")


def check_catch(catch: Any, ptr: str, ql: str, rep: Report, template: Callable) -> None:
    if not _entries(catch, ptr, rep):
        return
    for i, c in enumerate(catch):
        p = f"{ptr}/{i}"
        if not isinstance(c, dict):
            rep.error(p, "A Catcher must be a JSON object")
            continue
        _unknown(c, _CATCH_FIELDS[JSONPATH] | _CATCH_FIELDS[JSONATA], p, rep)
        for f in c:
            if f in ("ResultPath", "Output") and f not in _CATCH_FIELDS[ql]:
                rep.error(f"{p}/{f}", ql_field_error(f, ql))
        _error_equals(c, p, rep, i == len(catch) - 1)
        if "Next" not in c:
            rep.error(p, M_REQUIRED.format("Next"))
        elif type(c["Next"]) is not str:
            rep.error(f"{p}/Next", "The value of 'Next' must be a state name (a string)")
        if "ResultPath" in c and c["ResultPath"] is not None and ql == JSONPATH:
            reason = check_path(c["ResultPath"], reference=True, roots=("doc",))
            if reason:
                rep.error(f"{p}/ResultPath", f"The value for the field 'ResultPath' must be a valid "
                                             f"Reference Path: {reason}")
        if isinstance(c.get("Assign"), dict):
            template(c["Assign"], f"{p}/Assign", assign=True)


def _entries(value: Any, ptr: str, rep: Report) -> bool:
    if not isinstance(value, list):
        rep.error(ptr, "The value must be a JSON array")
        return False
    return True


def _unknown(obj: dict, allowed: set, ptr: str, rep: Report) -> None:
    for f in obj:
        if f not in allowed:
            rep.error(f"{ptr}/{f}", M_UNSUPPORTED.format(f))


def _error_equals(entry: dict, p: str, rep: Report, last: bool) -> None:
    names = entry.get("ErrorEquals")
    if "ErrorEquals" not in entry:
        rep.error(p, M_REQUIRED.format("ErrorEquals"))
    elif not isinstance(names, list) or not all(type(n) is str for n in names):
        rep.error(f"{p}/ErrorEquals", "The value of 'ErrorEquals' must be an array of error names")
    elif not names:
        rep.error(f"{p}/ErrorEquals", "Value cannot be empty")
    elif "States.ALL" in names and (len(names) > 1 or not last):
        rep.error(f"{p}/ErrorEquals", "States.ALL must appear alone and at end of list")


# ---------------------------------------------------------------- Choice rules

def check_choices(state: dict, ptr: str, ql: str, rep: Report, template: Callable) -> None:
    choices = state.get("Choices")
    if "Choices" not in state:
        rep.error(ptr, M_REQUIRED.format("Choices"))
        return
    if not isinstance(choices, list):
        rep.error(f"{ptr}/Choices", "The value of 'Choices' must be a JSON array")
        return
    if not choices:
        rep.error(f"{ptr}/Choices", "Value cannot be empty")
    for i, rule in enumerate(choices):
        _top_rule(rule, f"{ptr}/Choices/{i}", ql, rep, template)


def _top_rule(rule: Any, p: str, ql: str, rep: Report, template: Callable) -> None:
    if not isinstance(rule, dict):
        rep.error(p, "A Choice Rule must be a JSON object")
        return
    if "Next" not in rule:
        rep.error(p, M_REQUIRED.format("Next"))
    elif type(rule["Next"]) is not str:
        rep.error(f"{p}/Next", "The value of 'Next' must be a state name (a string)")
    if isinstance(rule.get("Assign"), dict):
        template(rule["Assign"], f"{p}/Assign", assign=True)
    if ql == JSONATA:
        _jsonata_rule(rule, p, rep)
    else:
        _jsonpath_rule(rule, p, rep, top=True)


def _jsonata_rule(rule: dict, p: str, rep: Report) -> None:
    for f in rule:
        if f in OPERATORS or f in _COMBINATORS:
            rep.error(f"{p}/{f}", M_PATH_ONLY.format(f))
        elif f not in ("Next", "Comment", "Assign", "Output", "Condition"):
            rep.error(f"{p}/{f}", M_UNSUPPORTED.format(f))
    cond = rule.get("Condition")
    if "Condition" not in rule:
        rep.error(p, M_REQUIRED.format("Condition"))
    elif not (type(cond) is bool or is_jsonata(cond)):
        rep.error(f"{p}/Condition", "The value of 'Condition' must be a JSONata expression ({% ... %}) or a boolean")


def _jsonpath_rule(rule: Any, p: str, rep: Report, top: bool) -> None:
    if not isinstance(rule, dict):
        rep.error(p, "A Choice Rule must be a JSON object")
        return
    allowed = {"Comment", *OPERATORS, *_COMBINATORS} | ({"Next", "Assign"} if top else set())
    for f in rule:
        if f in ("Condition", "Output"):
            rep.error(f"{p}/{f}", M_ATA_ONLY.format(f))
        elif f not in allowed:
            rep.error(f"{p}/{f}", M_UNSUPPORTED.format(f))
    kinds = [f for f in _COMBINATORS if f in rule]
    if not kinds and "Condition" in rule:
        return  # already reported: a JSONata rule in a JSONPath state
    if len(kinds) != 1:
        msg = M_NONE_OF if not kinds else M_MANY_OF
        rep.error(p, msg.format(", ".join(_COMBINATORS)))
        return
    if kinds[0] == "Variable":
        _comparison(rule, p, rep)
    elif kinds[0] == "Not":
        _jsonpath_rule(rule["Not"], f"{p}/Not", rep, top=False)
    else:
        _boolean_list(rule, kinds[0], p, rep)


def _boolean_list(rule: dict, kind: str, p: str, rep: Report) -> None:
    ops = [f for f in rule if f in OPERATORS]
    for f in ops:
        rep.error(f"{p}/{f}", M_UNSUPPORTED.format(f))
    subs = rule[kind]
    if not isinstance(subs, list) or not subs:
        rep.error(f"{p}/{kind}", f"The value of '{kind}' must be a non-empty array of Choice Rules")
        return
    for i, sub in enumerate(subs):
        _jsonpath_rule(sub, f"{p}/{kind}/{i}", rep, top=False)


def _comparison(rule: dict, p: str, rep: Report) -> None:
    reason = check_path(rule["Variable"])
    if reason:
        rep.error(f"{p}/Variable", f"The value for the field 'Variable' must be a valid JSONPath: {reason}")
    ops = [f for f in rule if f in OPERATORS]
    if len(ops) != 1:
        msg = M_NONE_OF if not ops else M_MANY_OF
        rep.error(p, msg.format(", ".join(ops) if ops else "a comparison operator (StringEquals, ...)"))
        return
    op, value = ops[0], rule[ops[0]]
    problem = _operand_problem(OPERATORS[op], op, value)
    if problem:
        rep.error(f"{p}/{op}", problem)


def _operand_problem(kind: str, op: str, value: Any) -> str | None:
    if kind == "path":
        reason = check_path(value)
        return f"The value for the field '{op}' must be a valid JSONPath: {reason}" if reason else None
    if kind == "flag" or kind == "Boolean":
        return None if type(value) is bool else f"The value of '{op}' must be a boolean"
    if kind == "Numeric":
        return None if is_number(value) else f"The value of '{op}' must be a number"
    if kind == "Timestamp":
        return None if is_timestamp(value) else f"The value of '{op}' must be an ISO-8601 timestamp"
    return None if type(value) is str else f"The value of '{op}' must be a string"

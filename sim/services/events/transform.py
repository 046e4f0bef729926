"""Target input: Input (constant), InputPath, InputTransformer (eb-transform-target-input.html)."""

from __future__ import annotations

import json
import re
from typing import Any

from sim.errors import ValidationException


def json_path(doc: Any, path: str) -> Any:
    """The simple JSONPath EventBridge accepts: $, $.a.b, $.a[0]."""
    if path == "$":
        return doc
    if not path.startswith("$."):
        raise ValidationException(f"Invalid InputPath {path!r}")
    cur = doc
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path[2:]):
        if part.startswith("["):
            idx = int(part[1:-1])
            cur = cur[idx] if isinstance(cur, list) and idx < len(cur) else None
        else:
            cur = cur.get(part) if isinstance(cur, dict) else None
        if cur is None:
            return None
    return cur


def apply_input(target: Any, event: dict) -> Any:
    if target.input is not None:
        return json.loads(target.input)
    if target.input_path:
        return json_path(event, target.input_path)
    if target.input_transformer:
        paths = target.input_transformer.get("InputPathsMap", {})
        values = {name: json_path(event, p) for name, p in paths.items()}
        template = target.input_transformer["InputTemplate"]

        def sub(m: re.Match) -> str:
            v = values.get(m.group(1))
            return json.dumps(v) if not isinstance(v, str) else v

        text = re.sub(r"<([A-Za-z0-9_.-]+)>", sub, template)
        try:
            return json.loads(text)
        except ValueError:
            return text
    return event

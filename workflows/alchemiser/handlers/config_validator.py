"""Config validator, the Step Functions variant's first Task (seed B.1 ``ValidateConfiguration``).

Input ``{"correlation_id": ...}`` (the state's Parameters). Loads the strategy set
like the orchestrator and applies the same pre-dispatch rule (allocations sum
to 1 within rel_tol 0.01), then returns what the Map state iterates over
(``ItemsPath: $.config.strategy_configs``): per file ``dsl_file``,
``allocation`` (a float, as in the legacy worker payload), ``strategy_number``
(1-based) and ``total_strategies``.

Any problem raises ``ConfigurationError`` (the error name the seed's Catch
matches); nothing is published or stored: the state machine reports failures.
Env: the STRATEGY__* variables of ``strategy_config``.
"""

from __future__ import annotations

from typing import Any

from workflows.alchemiser.common import log
from workflows.alchemiser.strategy_config import check_allocation_sum, load_strategy_config


class ConfigurationError(Exception):
    """The strategy configuration cannot be dispatched."""


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    event = event or {}
    try:
        configs = load_strategy_config().allocation_list()
        total = check_allocation_sum(configs)
    except ValueError as exc:  # StrategyConfigError and the sum rule are both ValueErrors
        raise ConfigurationError(str(exc)) from exc
    items = [{"dsl_file": dsl_file, "allocation": float(allocation), "strategy_number": number,
              "total_strategies": len(configs)} for number, (dsl_file, allocation) in enumerate(configs, start=1)]
    log("Strategy configuration valid", correlation_id=event.get("correlation_id"), strategies=len(items))
    return {"correlation_id": event.get("correlation_id"), "strategy_configs": items,
            "total_strategies": len(items), "total_allocation": str(total)}

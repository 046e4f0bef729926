"""The Lambda context object handed to handlers, on virtual time."""

from __future__ import annotations

from typing import Callable


class LambdaContext:
    """What the Python runtime passes as ``context`` (the documented attributes)."""

    def __init__(self, *, function_name: str, function_arn: str, memory_mb: int, request_id: str,
                 deadline_s: float, now_s: Callable[[], float], log_stream: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream
        self.identity = None
        self.client_context = None
        self._deadline_s = deadline_s
        self._now_s = now_s

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline_s - self._now_s()) * 1000), 0)

    def __repr__(self) -> str:
        return f"LambdaContext({self.function_name}, {self.aws_request_id})"

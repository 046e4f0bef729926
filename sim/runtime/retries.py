"""The AWS SDK's own retries, replayed on the virtual clock.

Calls that the simulator answers never reach botocore's retry loop, and
botocore's jitter draws from the unseeded ``random`` module, so the simulator
applies the same policy itself: which errors are retried, how many attempts,
and the backoff, with jitter from a seeded stream. Modes follow
``botocore/data/_retry.json`` (legacy) and ``botocore/retries/standard.py``
(standard, adaptive; adaptive's client-side rate limiter is not modelled).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# legacy mode: _retry.json "__default__" and its "dynamodb" override
LEGACY_MAX_ATTEMPTS = {"__default__": 5, "dynamodb": 10}
LEGACY_BASE_S = {"dynamodb": 0.05}  # other services: base "rand" (uniform 0..1)
LEGACY_RETRY_CODES = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "ProvisionedThroughputExceededException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "TransactionInProgressException",
}
LEGACY_RETRY_STATUS = {429, 500, 502, 503, 504, 509}

# standard mode: botocore/retries/standard.py
STANDARD_MAX_ATTEMPTS = 3
STANDARD_MAX_BACKOFF_S = 20.0
STANDARD_THROTTLE_CODES = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
    "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
}
STANDARD_TRANSIENT_CODES = {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
STANDARD_TRANSIENT_STATUS = {500, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    mode: str
    max_attempts: int
    service: str

    def is_retryable(self, code: str, status: int) -> bool:
        if self.mode == "legacy":
            return code in LEGACY_RETRY_CODES or status in LEGACY_RETRY_STATUS
        return code in STANDARD_THROTTLE_CODES or code in STANDARD_TRANSIENT_CODES or status in STANDARD_TRANSIENT_STATUS

    def is_throttle(self, code: str) -> bool:
        return code in STANDARD_THROTTLE_CODES

    def delay_s(self, attempt: int, code: str, rng: random.Random) -> float:
        """Backoff before retry number ``attempt`` (1 = the first retry)."""
        if self.mode == "legacy":
            base = LEGACY_BASE_S.get(self.service)
            factor = 2 ** (attempt - 1)
            return (base if base is not None else rng.random()) * factor
        scale = 1.0 if self.is_throttle(code) else (0.025 if self.service == "dynamodb" else 0.05)
        return rng.random() * min(scale * 2 ** (attempt - 1), STANDARD_MAX_BACKOFF_S)


def policy_for(service: str, client_config) -> RetryPolicy:
    """The policy a boto3 client would use, read from its ``Config(retries=...)``."""
    retries = dict(getattr(client_config, "retries", None) or {})
    mode = retries.get("mode", "legacy")
    if "total_max_attempts" in retries:
        attempts = int(retries["total_max_attempts"])
    elif "max_attempts" in retries:
        attempts = int(retries["max_attempts"]) + 1  # max_attempts counts retries only
    elif mode == "legacy":
        attempts = LEGACY_MAX_ATTEMPTS.get(service, LEGACY_MAX_ATTEMPTS["__default__"])
    else:
        attempts = STANDARD_MAX_ATTEMPTS
    return RetryPolicy("legacy" if mode == "legacy" else "standard", max(attempts, 1), service)

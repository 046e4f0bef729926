"""What a run's AWS usage would cost at AWS list prices (us-east-1, no free tier).

``usage_from_trace`` counts billable usage in a run's trace; ``price`` turns usage into a
table of line items, a total per day and a total per month. The prices, with the page
each was read from and how far it was confirmed, live in sim/data/aws-prices.yaml.

What the counts can and cannot see (the trace records requests, not payload sizes):

* Lambda: a request per ``invoke.start`` (every attempt, retries included, as AWS bills);
  GB-seconds from each ``invoke.end``'s billed_ms x memory_mb (billed_ms includes a cold
  start's init phase). Functions are priced as x86.
* DynamoDB: one request unit per request: GetItem, Query, Scan, BatchGetItem and
  TransactGetItems are reads; PutItem, UpdateItem, DeleteItem, BatchWriteItem and
  TransactWriteItems are writes; other operations (DescribeTable...) are not billed.
  Item sizes are not measured, so items over 4 KB (reads) or 1 KB (writes), batches
  of several items and transactions (two units each) are undercounted; an eventually
  consistent read (half a unit) is overcounted.
* EventBridge: one event per ``events.put`` (each entry put on a bus; 64 KB chunks of
  larger events are not counted). Scheduler: one invocation per ``schedule.fired``.
* SQS: each handler's ``api.call`` to sqs is one request, priced as FIFO when the queue
  record it caused (sqs.sent / received / deleted, matched by caller) names a ``.fifo``
  queue, else at the standard rate (control-plane calls, empty receives). An event
  source mapping's polling is counted from the queue records: one ReceiveMessage per
  batch delivered and one DeleteMessageBatch per batch deleted (records of one consumer
  at one instant); its empty long polls are not in the trace and are not counted.
  64 KB payload chunks are not counted.
* SES: one email per SendEmail / SendRawEmail / SendTemplatedEmail call (ses or sesv2);
  AWS bills each recipient, so a message to several recipients is undercounted.
* S3 (Standard), in AWS's request classes: PUT, COPY, POST and LIST requests (Put*, Copy*,
  List*, Create*, Complete*, Upload*, Restore*) vs GET and all other requests (Get*,
  Head*, Select...); Delete* and AbortMultipartUpload are free and not counted.
* Step Functions: Standard state transitions and Express requests / GB-seconds are
  passed in (the engine knows them; the trace does not).

Records of the harness's own calls (actor or origin "control") are skipped: they set a
run up and are not the system's usage.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import ConfigError, yaml_problem, yaml_where

DEFAULT_PRICES = Path(__file__).resolve().parent / "data" / "aws-prices.yaml"
DEFAULT_LABEL = "sim/data/aws-prices.yaml"  # how reports name the bundled file (same on every machine)
PLACES = Decimal("1E-10")

DYNAMODB_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
SES_SENDS = {"SendEmail", "SendRawEmail", "SendTemplatedEmail"}
S3_PUT_CLASS = ("Put", "Copy", "Post", "List", "Create", "Complete", "Upload", "Restore")
S3_FREE = ("Delete", "AbortMultipartUpload")
SQS_QUEUE_RECORDS = ("sqs.sent", "sqs.received", "sqs.deleted")

#: usage keys that are reported but not priced (a total of priced keys)
INFORMATIONAL = {"sqs_requests"}


class PriceItem(BaseModel):
    """One priced unit: ``price`` USD buys ``per`` units of ``usage``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    usage: str
    service: str
    item: str
    unit: str
    price: float = Field(ge=0)
    per: int = Field(gt=0)
    source: str
    confirmed: Literal["aws", "third-party", "no"]
    seen_in: str = ""
    note: str = ""

    @property
    def unit_price(self) -> Decimal:
        return Decimal(repr(self.price)) / Decimal(self.per)


class Prices(BaseModel):
    """The price list: region, the day it was read, and the items in report order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str
    currency: str = "USD"
    read_on: date
    free_tier_applied: Literal[False] = False
    items: list[PriceItem]
    source_file: str = ""

    @model_validator(mode="after")
    def _one_item_per_usage(self) -> "Prices":
        seen: set[str] = set()
        for item in self.items:
            if item.usage in seen:
                raise ValueError(f"usage {item.usage!r} is priced twice; keep one item for it")
            seen.add(item.usage)
        return self

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Prices":
        """The price list in ``path`` (default: the bundled sim/data/aws-prices.yaml)."""
        file = DEFAULT_PRICES if path is None else Path(path)
        label = DEFAULT_LABEL if path is None else str(path)
        data = _read_yaml(file, label)
        try:
            return cls.model_validate({**data, "source_file": label})
        except ValidationError as exc:
            raise ConfigError(_validation_message(label, data, exc)) from None


def _read_yaml(file: Path, label: str) -> dict:
    try:
        data = yaml.safe_load(file.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{label}: price file not found; pass the path of a prices YAML file") from None
    except yaml.YAMLError as exc:
        where = yaml_where(exc, ", line {line}")
        raise ConfigError(f"{label}{where}: not valid YAML ({yaml_problem(exc)}); fix the syntax there") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read the price file ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: a price file must be a mapping with region, read_on and items")
    return data


def _validation_message(label: str, data: dict, exc: ValidationError) -> str:
    """'file: items[3] (lambda_requests).price: <problem>; fix ...' for the first error."""
    error = exc.errors()[0]
    parts, loc = [], error["loc"]
    for i, part in enumerate(loc):
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
            usage = _usage_at(data, loc[: i + 1])
            if usage:
                parts[-1] += f" ({usage})"
        else:
            parts.append(str(part))
    key = ".".join(parts) or "top level"
    return f"{label}: {key}: {error['msg']}; fix that key (see the header of sim/data/aws-prices.yaml)"


def _usage_at(data: dict, loc: tuple) -> str | None:
    node: Any = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node.get("usage") if isinstance(node, dict) else None


# -- counting usage -----------------------------------------------------------------

def usage_from_trace(records: Iterable[dict], *, state_transitions: int = 0, express_requests: int = 0,
                     express_gb_seconds: float = 0.0) -> dict[str, float]:
    """Billable usage counted from a run's trace records (see the module docstring)."""
    records = [r for r in records if not _is_control(r)]
    calls = [r for r in records if r.get("kind") == "api.call"]
    standard, fifo = _sqs_requests(records)
    s3_put, s3_get = _s3_requests(calls)
    return {
        "lambda_requests": float(_count(records, "invoke.start")),
        "lambda_gb_seconds": _gb_seconds(records),
        "sfn_state_transitions": float(state_transitions),
        "sfn_express_requests": float(express_requests),
        "sfn_express_gb_seconds": float(express_gb_seconds),
        "dynamodb_read_requests": float(_ops(calls, {"dynamodb"}, DYNAMODB_READS)),
        "dynamodb_write_requests": float(_ops(calls, {"dynamodb"}, DYNAMODB_WRITES)),
        "eventbridge_events": float(_count(records, "events.put")),
        "scheduler_invocations": float(_count(records, "schedule.fired")),
        "sqs_standard_requests": float(standard),
        "sqs_fifo_requests": float(fifo),
        "sqs_requests": float(standard + fifo),
        "ses_emails": float(_ops(calls, {"ses", "sesv2"}, SES_SENDS)),
        "s3_put_requests": float(s3_put),
        "s3_get_requests": float(s3_get),
    }


def _is_control(record: dict) -> bool:
    return record.get("actor") == "control" or record.get("origin") == "control"


def _count(records: list[dict], kind: str) -> int:
    return sum(1 for r in records if r.get("kind") == kind)


def _ops(calls: list[dict], services: set[str], operations: set[str]) -> int:
    return sum(1 for r in calls if r.get("service") in services and r.get("operation") in operations)


def _gb_seconds(records: list[dict]) -> float:
    total = sum((Decimal(r.get("billed_ms") or 0) / 1000 * Decimal(r.get("memory_mb") or 0) / 1024
                 for r in records if r.get("kind") == "invoke.end"), Decimal(0))
    return float(total.quantize(PLACES))


def _s3_requests(calls: list[dict]) -> tuple[int, int]:
    """(PUT/COPY/POST/LIST-class requests, GET-and-other requests); deletes are free."""
    put = get = 0
    for r in calls:
        op = r.get("operation") or ""
        if r.get("service") != "s3" or op.startswith(S3_FREE):
            continue
        if op.startswith(S3_PUT_CLASS):
            put += 1
        else:
            get += 1
    return put, get


def _sqs_requests(records: list[dict]) -> tuple[int, int]:
    """(standard-priced, FIFO-priced) SQS requests.

    A handler's calls run one after another, so the queue record a call causes comes
    before that caller's next call: it tells the call's queue (and so its price). Event
    source mapping polls have no api.call: their records at one instant make one request.
    """
    is_fifo: list[bool] = []          # one entry per request
    pending: dict[str, int] = {}      # caller -> its latest call not yet tied to a queue
    polls: set[tuple] = set()
    for r in records:
        kind = r.get("kind")
        if kind == "api.call" and r.get("service") == "sqs":
            pending[r["actor"]] = len(is_fifo)
            is_fifo.append(False)
        elif kind in SQS_QUEUE_RECORDS:
            who = r.get("origin") or r.get("consumer") or ""
            fifo = str(r.get("actor", "")).endswith(".fifo")
            if who.startswith("esm:"):
                key = (r.get("t"), kind, r.get("actor"), who)
                if key not in polls:
                    polls.add(key)
                    is_fifo.append(fifo)
            elif who in pending:
                is_fifo[pending.pop(who)] = fifo
    fifo_count = sum(is_fifo)
    return len(is_fifo) - fifo_count, fifo_count


# -- pricing --------------------------------------------------------------------------

def price(usage: dict[str, float], prices: Prices | None = None, *, days_per_month: int = 22) -> dict:
    """A cost table for one day's ``usage``: one line per priced item, in the price file's
    order, zero quantities kept (so two runs' tables line up); costs rounded to 10 places.

    ``days_per_month`` is how many days a month the workload runs (22 for weekdays only).
    """
    prices = prices or Prices.load()
    known = {item.usage for item in prices.items}
    unknown = sorted(set(usage) - known - INFORMATIONAL)
    if unknown:
        raise ValueError(f"usage has keys no price covers: {', '.join(unknown)}; priced keys are "
                         f"{', '.join(sorted(known))}")
    items = [_line(item, usage.get(item.usage, 0.0)) for item in prices.items]
    per_day = sum((Decimal(repr(line["cost"])) for line in items), Decimal(0))
    return {
        "prices": {"region": prices.region, "date": prices.read_on.isoformat(), "source_file": prices.source_file,
                   "free_tier_applied": False},
        "items": items,
        "total_per_day": float(per_day.quantize(PLACES)),
        "total_per_month": float((per_day * days_per_month).quantize(PLACES)),
        "days_per_month": days_per_month,
    }


def _line(item: PriceItem, quantity: float) -> dict[str, Any]:
    amount = Decimal(repr(float(quantity)))
    return {"usage": item.usage, "service": item.service, "item": item.item, "unit": item.unit,
            "quantity": float(amount.quantize(PLACES)), "unit_price": float(item.unit_price),
            "cost": float((amount * item.unit_price).quantize(PLACES))}

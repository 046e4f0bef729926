"""sim.cost: counting billable usage in a trace, and pricing it at the bundled list prices."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from sim.cost import DEFAULT_PRICES, Prices, price, usage_from_trace
from sim.errors import ConfigError


def call(actor: str, service: str, operation: str, t: float = 0.0) -> dict:
    return {"t": t, "kind": "api.call", "actor": actor, "service": service, "operation": operation, "attempt": 1}


def rec(kind: str, actor: str, t: float = 0.0, **attrs) -> dict:
    return {"t": t, "kind": kind, "actor": actor, **attrs}


# -- counting -------------------------------------------------------------------------

def test_lambda_requests_and_gb_seconds():
    records = [rec("invoke.start", "f", request_id="1"),
               rec("invoke.end", "f", request_id="1", billed_ms=1500, memory_mb=256),
               rec("invoke.start", "g", request_id="2"),   # a retry is another request
               rec("invoke.end", "g", request_id="2", billed_ms=1, memory_mb=1024)]
    usage = usage_from_trace(records)
    assert usage["lambda_requests"] == 2.0
    assert usage["lambda_gb_seconds"] == 1.5 * 0.25 + 0.001


def test_dynamodb_reads_writes_and_unbilled_operations():
    ops = ["GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems", "PutItem", "UpdateItem", "DeleteItem",
           "BatchWriteItem", "TransactWriteItems", "DescribeTable", "CreateTable"]
    usage = usage_from_trace([call("lambda:f", "dynamodb", op) for op in ops])
    assert (usage["dynamodb_read_requests"], usage["dynamodb_write_requests"]) == (5.0, 5.0)


def test_the_harness_own_calls_are_not_usage():
    records = [call("control", "dynamodb", "Scan"), call("control", "s3", "PutObject"),
               rec("events.put", "bus", origin="control"), rec("sqs.sent", "q", origin="control", message_id="m"),
               call("lambda:f", "dynamodb", "Scan")]
    usage = usage_from_trace(records)
    assert usage["dynamodb_read_requests"] == 1.0
    assert usage["s3_put_requests"] == usage["eventbridge_events"] == usage["sqs_requests"] == 0.0


def test_events_schedules_and_emails():
    records = [rec("events.put", "bus", origin="lambda:f"), rec("events.put", "bus", origin="states:sm"),
               rec("schedule.fired", "s", fire=1), call("lambda:n", "ses", "SendEmail"),
               call("lambda:n", "sesv2", "SendEmail"), call("lambda:n", "ses", "SendRawEmail"),
               call("lambda:n", "ses", "VerifyEmailIdentity")]
    usage = usage_from_trace(records)
    assert (usage["eventbridge_events"], usage["scheduler_invocations"], usage["ses_emails"]) == (2.0, 1.0, 3.0)


def test_s3_requests_follow_aws_request_classes():
    ops = ["PutObject", "CopyObject", "ListObjectsV2", "CreateMultipartUpload", "UploadPart",
           "CompleteMultipartUpload", "GetObject", "HeadObject", "GetBucketLocation", "DeleteObject",
           "DeleteObjects", "AbortMultipartUpload"]
    usage = usage_from_trace([call("lambda:f", "s3", op) for op in ops])
    assert (usage["s3_put_requests"], usage["s3_get_requests"]) == (6.0, 3.0)


def test_sqs_calls_are_priced_by_the_queue_they_touched():
    records = [
        call("lambda:p", "sqs", "SendMessage", t=1.0),
        rec("sqs.sent", "orders.fifo", t=1.01, origin="lambda:p", message_id="m1"),
        call("lambda:p", "sqs", "SendMessageBatch", t=2.0),           # one request, two messages
        rec("sqs.sent", "jobs", t=2.01, origin="lambda:p", message_id="m2"),
        rec("sqs.sent", "jobs", t=2.01, origin="lambda:p", message_id="m3"),
        call("lambda:p", "sqs", "GetQueueUrl", t=3.0),                # no queue record: standard rate
        call("lambda:c", "sqs", "ReceiveMessage", t=4.0),             # an empty receive: standard rate
    ]
    usage = usage_from_trace(records)
    assert (usage["sqs_fifo_requests"], usage["sqs_standard_requests"], usage["sqs_requests"]) == (1.0, 3.0, 4.0)


def test_event_source_mapping_polls_count_one_request_per_batch():
    esm = "esm:worker"
    records = [rec("sqs.received", "orders.fifo", t=5.0, message_id=m, consumer=esm) for m in ("a", "b")] + \
              [rec("sqs.received", "orders.fifo", t=6.0, message_id="c", consumer=esm)] + \
              [rec("sqs.deleted", "orders.fifo", t=7.0, message_id=m, consumer=esm) for m in ("a", "b")] + \
              [rec("sqs.received", "jobs", t=5.0, message_id="d", consumer="esm:other")]
    usage = usage_from_trace(records)
    assert (usage["sqs_fifo_requests"], usage["sqs_standard_requests"]) == (3.0, 1.0)


def test_step_functions_usage_is_passed_in():
    usage = usage_from_trace([], state_transitions=12, express_requests=3, express_gb_seconds=0.5)
    assert (usage["sfn_state_transitions"], usage["sfn_express_requests"], usage["sfn_express_gb_seconds"]) == \
        (12.0, 3.0, 0.5)


def test_every_counted_key_is_priced_or_informational():
    usage = usage_from_trace([])
    priced = [item.usage for item in Prices.load().items]
    assert sorted(set(usage) - {"sqs_requests"}) == sorted(priced)
    assert all(value == 0.0 for value in usage.values())


# -- pricing --------------------------------------------------------------------------

def test_price_lists_every_item_in_file_order_with_zeros_kept():
    table = price({"lambda_requests": 2_000_000, "lambda_gb_seconds": 12.3, "ses_emails": 2})
    assert table["prices"] == {"region": "us-east-1", "date": "2026-11-27", "source_file": "sim/data/aws-prices.yaml",
                               "free_tier_applied": False}
    assert [line["usage"] for line in table["items"]] == [item.usage for item in Prices.load().items]
    lines = {line["usage"]: line for line in table["items"]}
    assert lines["lambda_requests"] == {"usage": "lambda_requests", "service": "AWS Lambda", "item": "requests",
                                        "unit": "request", "quantity": 2000000.0, "unit_price": 2e-07, "cost": 0.4}
    assert lines["lambda_gb_seconds"]["unit_price"] == 1.66667e-05
    assert lines["lambda_gb_seconds"]["cost"] == 0.0002050004  # 12.3 x 0.0000166667, 10 places
    assert lines["ses_emails"]["cost"] == 0.0002
    assert lines["dynamodb_write_requests"]["quantity"] == 0.0 and lines["dynamodb_write_requests"]["cost"] == 0.0
    assert table["total_per_day"] == 0.4004050004
    assert table["total_per_month"] == 8.8089100088 and table["days_per_month"] == 22


def test_price_takes_days_per_month_and_the_informational_total():
    table = price({"sqs_fifo_requests": 1_000_000, "sqs_requests": 1_000_000}, days_per_month=30)
    assert (table["total_per_day"], table["total_per_month"], table["days_per_month"]) == (0.5, 15.0, 30)


def test_price_refuses_a_usage_key_no_price_covers():
    with pytest.raises(ValueError, match="usage has keys no price covers: lambda_request;"):
        price({"lambda_request": 1})


def test_price_is_json_and_byte_stable():
    usage = usage_from_trace([rec("invoke.end", "f", billed_ms=333, memory_mb=128)])
    assert json.dumps(price(usage)) == json.dumps(price(dict(reversed(list(usage.items())))))


# -- the price file ---------------------------------------------------------------------

def test_the_bundled_prices_state_region_date_sources_and_confirmation():
    prices = Prices.load()
    assert (prices.region, prices.currency, prices.read_on, prices.free_tier_applied) == \
        ("us-east-1", "USD", date(2026, 11, 27), False)
    for item in prices.items:
        assert item.source.startswith("https://aws.amazon.com/"), item.usage
        assert item.seen_in, item.usage
        assert item.confirmed in ("aws", "third-party"), item.usage
    by_usage = {item.usage: item for item in prices.items}
    assert float(by_usage["dynamodb_write_requests"].unit_price) == 0.625e-6  # after the Nov 2024 cut
    assert float(by_usage["dynamodb_read_requests"].unit_price) == 0.125e-6
    assert float(by_usage["sfn_state_transitions"].unit_price) == 0.000025


def test_the_price_file_ships_as_package_data():
    bundled = resources.files("sim.data").joinpath("aws-prices.yaml")
    assert bundled.is_file() and Path(str(bundled)) == DEFAULT_PRICES


def test_a_missing_price_file_is_one_message(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.yaml: price file not found"):
        Prices.load(tmp_path / "nope.yaml")


def test_a_price_file_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("region: us-east-1\nread_on: x: y\n")
    with pytest.raises(ConfigError, match=rf"^{path}, line 2: not valid YAML"):
        Prices.load(path)


def test_a_bad_price_names_the_file_the_key_and_the_item(tmp_path):
    text = DEFAULT_PRICES.read_text().replace("price: 0.625", "price: -0.625")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        Prices.load(path)
    assert str(err.value).startswith(f"{path}: items[6] (dynamodb_write_requests).price: Input should be greater "
                                     f"than or equal to 0;")


def test_an_unknown_key_in_the_price_file_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(DEFAULT_PRICES.read_text().replace("region: us-east-1", "region: us-east-1\nregoin: x"))
    with pytest.raises(ConfigError, match=r"p.yaml: regoin: Extra inputs are not permitted"):
        Prices.load(path)


def test_a_usage_priced_twice_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(DEFAULT_PRICES.read_text().replace("usage: sqs_fifo_requests", "usage: sqs_standard_requests"))
    with pytest.raises(ConfigError, match="usage 'sqs_standard_requests' is priced twice"):
        Prices.load(path)


# -- a real run -------------------------------------------------------------------------

def test_a_real_day_counts_usage_in_every_service_it_touches():
    from workflows.alchemiser.day import DayOptions, run_day

    run = run_day(DayOptions(variant="legacy", day=date(2026, 1, 14)))
    usage = usage_from_trace(run.result.trace.records)
    for key in ("lambda_requests", "lambda_gb_seconds", "dynamodb_read_requests", "dynamodb_write_requests",
                "eventbridge_events", "scheduler_invocations", "sqs_fifo_requests", "ses_emails", "s3_get_requests"):
        assert usage[key] > 0, key
    assert usage["s3_put_requests"] == 0  # the harness's fixture uploads are not the system's usage
    table = price(usage)
    assert 0 < table["total_per_day"] < 0.1

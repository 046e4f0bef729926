"""Plain Lambda handlers: ``def handler(event, context)`` and boto3, as in AWS."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone

import boto3

ORDERS = ("AAPL", "MSFT", "NVDA")


def intake(event, context):
    """Publish one OrderPlaced event per symbol."""
    events = boto3.client("events")
    entries = [{"Source": "demo.orders", "DetailType": "OrderPlaced", "EventBusName": os.environ["BUS_NAME"],
                "Detail": json.dumps({"order_id": f"{symbol}-{datetime.now(timezone.utc):%Y%m%d}", "symbol": symbol,
                                      "qty": 10 * (i + 1)})}
               for i, symbol in enumerate(ORDERS)]
    result = events.put_events(Entries=entries)
    if result["FailedEntryCount"]:
        raise RuntimeError(f"{result['FailedEntryCount']} events were not accepted")
    return {"published": len(entries)}


def reserve(event, context):
    """Record the order once (conditional put), then queue it for fulfilment."""
    detail = event["detail"]
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    try:
        table.put_item(Item={"pk": f"ORDER#{detail['order_id']}", "symbol": detail["symbol"], "qty": detail["qty"],
                             "status": "RESERVED", "ttl": int(time.time()) + 86400},
                       ConditionExpression="attribute_not_exists(pk)")
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return {"duplicate": detail["order_id"]}
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(detail),
                                      MessageGroupId=detail["symbol"], MessageDeduplicationId=detail["order_id"])
    return {"reserved": detail["order_id"]}


def fulfil(event, context):
    """Fill each queued order: count it atomically and send a confirmation email."""
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    ses = boto3.client("ses")
    for record in event["Records"]:
        order = json.loads(record["body"])
        time.sleep(2)  # talking to the broker takes a while, on the virtual clock
        table.update_item(Key={"pk": "COUNTER#filled"}, UpdateExpression="ADD filled :one",
                          ExpressionAttributeValues={":one": 1})
        ses.send_email(Source=os.environ["FROM"], Destination={"ToAddresses": [os.environ["FROM"]]},
                       Message={"Subject": {"Data": f"Filled {order['order_id']}"},
                                "Body": {"Text": {"Data": json.dumps(order)}}})
    return {"batchItemFailures": []}

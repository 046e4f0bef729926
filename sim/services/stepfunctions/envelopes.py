"""The shapes Step Functions wraps integration results and errors in.

Optimised integrations (lambda:invoke, sqs, sns, dynamodb, states) return the
service response plus the Java SDK's ``SdkHttpMetadata`` / ``SdkResponseMetadata``
envelope; the header sets below are the ones AWS returned in the recorded
conformance cases (their casing differs per operation, e.g. DynamoDB GetItem
answers ``x-amzn-requestid``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from sim.asl.errors import StatesError, StatesErrorName, to_json

JSON_10 = "application/x-amz-json-1.0"
# (service, action) -> (content type, fixed content length or None = body length, request-id header name)
HEADER_STYLE = {
    ("sqs", "sendMessage"): (JSON_10, "106", "x-amzn-RequestId", "connection"),
    ("sns", "publish"): ("text/xml", "294", "x-amzn-RequestId", "connection"),
    ("states", "startExecution"): (JSON_10, None, "x-amzn-RequestId", "connection"),
}
SERVICE_NAMES = {"dynamodb": ("DynamoDB", "AmazonDynamoDBv2"), "sqs": ("SQS", "AmazonSQS"),
                 "sns": ("SNS", "AmazonSNS"), "lambda": ("Lambda", "AWSLambda"), "events": ("EventBridge", "EventBridge"),
                 "states": ("StepFunctions", "AWSStepFunctions")}


def http_date(now: datetime | None = None) -> str:
    return format_datetime((now or datetime(1970, 1, 1, tzinfo=timezone.utc)).astimezone(timezone.utc), usegmt=True)


def epoch_ms(value: Any) -> Any:
    """A timestamp as the Java SDK serialises it into a task result (epoch milliseconds)."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return value


def _request_id(parsed: dict) -> str:
    return (parsed.get("ResponseMetadata") or {}).get("RequestId") or "00000000-0000-0000-0000-000000000000"


def with_sdk_metadata(result: dict, content_type: str, parsed: dict | None = None, length: str | None = None,
                      rid_header: str = "x-amzn-RequestId", conn: str = "connection", extra: dict | None = None) -> dict:
    rid = _request_id(parsed or {})
    length = length if length is not None else str(len(to_json({k: v for k, v in result.items()}).encode()))
    headers = {**(extra or {}), conn: "keep-alive", "Content-Length": length, "Content-Type": content_type,
               "Date": http_date(), rid_header: rid}
    order = [rid_header, conn, "Content-Length", "Date", "Content-Type"]
    all_headers = {k: ([headers[k]] if k not in (rid_header, "Date") else headers[k]) for k in order}
    for k, v in (extra or {}).items():
        all_headers[k] = [v]
    return {**result, "SdkHttpMetadata": {"AllHttpHeaders": all_headers, "HttpHeaders": dict(sorted(headers.items(),
            key=lambda kv: kv[0].lower())), "HttpStatusCode": 200}, "SdkResponseMetadata": {"RequestId": rid}}


# -- Lambda ------------------------------------------------------------------------------------
def decode_payload(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body.decode("utf-8", "replace")


def lambda_envelope(value: Any, body: bytes, parsed: dict, status: int) -> dict:
    rid = _request_id(parsed)
    length = str(len(body))
    trace = "Root=1-00000000-000000000000000000000000;Sampled=0"
    headers = {"Connection": "keep-alive", "Content-Length": length, "Content-Type": "application/json",
               "Date": http_date(), "X-Amz-Executed-Version": "$LATEST", "x-amzn-Remapped-Content-Length": "0",
               "x-amzn-RequestId": rid, "X-Amzn-Trace-Id": trace}
    all_headers = {"X-Amz-Executed-Version": ["$LATEST"], "x-amzn-Remapped-Content-Length": ["0"],
                   "Connection": ["keep-alive"], "x-amzn-RequestId": [rid], "Content-Length": [length],
                   "Date": http_date(), "X-Amzn-Trace-Id": trace, "Content-Type": ["application/json"]}
    return {"ExecutedVersion": parsed.get("ExecutedVersion", "$LATEST"), "Payload": value,
            "SdkHttpMetadata": {"AllHttpHeaders": all_headers, "HttpHeaders": headers, "HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": rid}, "StatusCode": parsed.get("StatusCode", status)}


def lambda_function_error(body: bytes, bare: bool) -> StatesError:
    """A function that raised: its errorType is the error, its error document the cause
    (verbatim for a bare function ARN; re-serialised compactly by lambda:invoke, as recorded)."""
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return StatesError("Lambda.Unknown", body.decode("utf-8", "replace"))
    error = doc.get("errorType") if isinstance(doc, dict) else None
    return StatesError(error or "Lambda.Unknown", body.decode("utf-8", "replace") if bare else to_json(doc))


def lambda_service_error(parsed: dict, status: int) -> StatesError:
    code, message = _code_message(parsed)
    return StatesError(f"Lambda.{code}", f"{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; "
                                         f"Request ID: {_request_id(parsed)}; Proxy: null)")


def _code_message(parsed: dict) -> tuple[str, str]:
    err = parsed.get("Error") or {}
    return err.get("Code", "ServiceException"), err.get("Message", "")


# -- optimised integrations -----------------------------------------------------------------------
def request_params(service: str, action: str, params: dict) -> dict:
    """Step Functions serialises JSON bodies the SDK wants as strings."""
    params = dict(params)
    if service == "sqs" and "MessageBody" in params and not isinstance(params["MessageBody"], str):
        params["MessageBody"] = to_json(params["MessageBody"])
    if service == "sns" and "Message" in params and not isinstance(params["Message"], str):
        params["Message"] = to_json(params["Message"])
    if service == "events":
        params["Entries"] = [_entry(e) for e in params.get("Entries") or []]
    return params


def _entry(entry: dict) -> dict:
    entry = dict(entry)
    if "Detail" in entry and not isinstance(entry["Detail"], str):
        entry["Detail"] = to_json(entry["Detail"])
    return entry


def optimised_result(service: str, action: str, parsed: dict) -> Any:
    body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    if service == "events":
        if body.get("FailedEntryCount"):
            raise StatesError("EventBridge.FailedEntry", to_json(body))
        return body
    if service == "dynamodb":
        rid_header = "x-amzn-requestid" if action == "getItem" else "x-amzn-RequestId"
        out = with_sdk_metadata(body, JSON_10, parsed, str(len(to_json(body).encode())), rid_header, "Connection",
                                extra={"Server": "Server", "x-amz-crc32": "0"})
        all_h = out["SdkHttpMetadata"]["AllHttpHeaders"]
        out["SdkHttpMetadata"]["AllHttpHeaders"] = {k: all_h[k] for k in
                                                    ("Server", rid_header, "Connection", "x-amz-crc32",
                                                     "Content-Length", "Date", "Content-Type")}
        out["SdkHttpMetadata"]["AllHttpHeaders"]["x-amz-crc32"] = "0"
        return out
    style = HEADER_STYLE.get((service, action), (JSON_10, None, "x-amzn-RequestId", "connection"))
    return with_sdk_metadata(body, style[0], parsed, style[1], style[2], style[3])


def optimised_error(service: str, parsed: dict, status: int) -> StatesError:
    code, message = _code_message(parsed)
    short, long_name = SERVICE_NAMES.get(service, (service.capitalize(), service))
    if service == "dynamodb" and code == "ValidationException":
        return StatesError("DynamoDB.AmazonDynamoDBException",
                           f"{message} (Service: {long_name}; Status Code: {status}; Error Code: {code}; "
                           f"Request ID: {_request_id(parsed)}; Proxy: null)")
    return StatesError(f"{short}.{code}", f"{message} (Service: {long_name}; Status Code: {status}; "
                                          f"Error Code: {code}; Request ID: {_request_id(parsed)}; Proxy: null)")


# -- nested executions ---------------------------------------------------------------------------
def sync_result(child: Any, parsed_output: bool) -> Any:
    desc = child.describe()
    out = {"ExecutionArn": desc["executionArn"], "Input": desc["input"], "InputDetails": {"Included": True},
           "Name": desc["name"], "StartDate": epoch_ms(desc["startDate"]), "StateMachineArn": desc["stateMachineArn"],
           "Status": desc["status"], "StopDate": epoch_ms(desc.get("stopDate"))}
    if child.status == "SUCCEEDED":
        out["Output"] = child.output if parsed_output else desc["output"]
        out["OutputDetails"] = {"Included": True}
        if parsed_output:
            out["Input"] = child.input
        return out
    for key, name in (("error", "Error"), ("cause", "Cause")):
        if key in desc:
            out[name] = desc[key]
    if parsed_output:
        out["Input"] = child.input
    raise StatesError(StatesErrorName.TASK_FAILED, to_json(out))


# -- S3 for ItemReader -----------------------------------------------------------------------------
def item_reader_error(parsed: dict, status: int) -> StatesError:
    code, message = _code_message(parsed)
    return StatesError(StatesErrorName.ITEM_READER_FAILED,
                       f"{message} (Service: S3, Status Code: {status}, Error Code: {code}, "
                       f"Request ID: {_request_id(parsed)})")


def s3_listing(obj: dict) -> dict:
    out = {}
    for key in ("Etag", "ETag", "Key", "LastModified", "Size", "StorageClass"):
        if key in obj:
            value = obj[key]
            if isinstance(value, datetime):
                value = value.strftime("%a %b %d %H:%M:%S UTC %Y")
            out["Etag" if key == "ETag" else key] = value
    return out

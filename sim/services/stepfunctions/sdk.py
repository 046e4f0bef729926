"""``arn:aws:states:::aws-sdk:<service>:<action>``: any SDK call, served by the emulator.

Step Functions calls the AWS SDK for Java v2, so its errors read like that
SDK's exceptions: ``<ServiceClient>.<ErrorShape>Exception`` for modelled errors
(``DynamoDb.ResourceNotFoundException``, ``Sfn.InvalidTokenException``) and
``<ServiceClient>.<ServiceClient>Exception`` for the rest, with the cause
"<message> (Service: <ServiceClient>, Status Code: <n>, Request ID: <id>)".
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import botocore.session

from sim.asl.errors import StatesError, to_json

# aws-sdk service id -> (boto3 service name, SDK v2 client name)
SERVICES = {"sfn": ("stepfunctions", "Sfn"), "dynamodb": ("dynamodb", "DynamoDb"), "s3": ("s3", "S3"),
            "secretsmanager": ("secretsmanager", "SecretsManager"), "sqs": ("sqs", "Sqs"), "sns": ("sns", "Sns"),
            "lambda": ("lambda", "Lambda"), "eventbridge": ("events", "EventBridge"), "ssm": ("ssm", "Ssm"),
            "ses": ("ses", "Ses"), "sesv2": ("sesv2", "SesV2"), "kms": ("kms", "Kms"), "sts": ("sts", "Sts")}
_loader_session = botocore.session.get_session()
_models: dict[str, Any] = {}


def _model(service: str):
    if service not in _models:
        _models[service] = _loader_session.get_service_model(service)
    return _models[service]


def names(service_id: str) -> tuple[str, str]:
    if service_id in SERVICES:
        return SERVICES[service_id]
    return service_id, service_id[:1].upper() + service_id[1:]


def operation_name(service: str, action: str) -> str:
    pascal = action[:1].upper() + action[1:]
    model = _model(service)
    if pascal in model.operation_names:
        return pascal
    raise StatesError("States.Runtime", f"The resource 'arn:aws:states:::aws-sdk:{service}:{action}' names no "
                                        f"operation of {service}.")


def sdk_call(ports: Any, req: Any):
    """SimProcess: the SDK response as Step Functions returns it, or a StatesError."""
    service_id = req.service.split(":", 1)[1]
    service, client_name = names(service_id)
    operation = operation_name(service, req.action)
    op_model = _model(service).operation_model(operation)
    params = _request(service, operation, _to_sdk(op_model.input_shape, dict(req.parameters or {})))
    if req.pattern == "waitForTaskToken":
        ports._await_token(req)
    status, parsed = yield from ports.call_api(service, operation, params, req)
    if status >= 300:
        raise sdk_error(service_id, parsed, status)
    body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    return _from_sdk(op_model.output_shape, _response(_emulator_gaps(service, operation, params, body)))


def _to_sdk(shape: Any, value: Any) -> Any:
    """Step Functions takes members in PascalCase (``StateMachineArn``); boto3 wants the
    model's own names (``stateMachineArn``). Map keys are data and stay as they are."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        by_lower = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = by_lower.get(key.lower(), key)
            out[name] = _to_sdk(shape.members.get(name), item)
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_sdk(shape.member, v) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _to_sdk(shape.value, v) for k, v in value.items()}
    return value


def _from_sdk(shape: Any, value: Any) -> Any:
    """The response as the Java SDK serialises it for Step Functions: members in PascalCase."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            member = shape.members.get(key)
            out[key[:1].upper() + key[1:]] = _from_sdk(member, item)
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_from_sdk(shape.member, v) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _from_sdk(shape.value, v) for k, v in value.items()}
    return value


def to_sdk_params(service: str, operation: str, params: dict) -> dict:
    """Parameters in Step Functions' PascalCase, renamed to the boto3 model's members."""
    return _to_sdk(_model(service).operation_model(operation).input_shape, params)


def emulator_gaps(service: str, operation: str, params: dict, body: dict) -> dict:
    return _emulator_gaps(service, operation, params, body)


def _emulator_gaps(service: str, operation: str, params: dict, body: dict) -> dict:
    """Fields moto 5.2.5 adds or omits where AWS does otherwise (each one cited)."""
    if service == "s3" and operation == "PutObject" and "ChecksumCRC32" in body:
        body.setdefault("ChecksumType", "FULL_OBJECT")  # S3 docs: single-part uploads are FULL_OBJECT
    if service == "s3" and operation == "GetObject" and "ChecksumMode" not in params:
        for key in [k for k in body if k.startswith("Checksum")]:
            body.pop(key)  # S3 returns checksums on GetObject only with ChecksumMode=ENABLED
    if service == "dynamodb" and "ReturnConsumedCapacity" not in params:
        body.pop("ConsumedCapacity", None)  # DynamoDB returns it only when asked (ReturnConsumedCapacity)
    return body


def _request(service: str, operation: str, params: dict) -> dict:
    if service == "s3" and operation == "PutObject" and "Body" in params and not isinstance(params["Body"], str):
        params["Body"] = to_json(params["Body"])
    if service == "stepfunctions" and "input" in params and not isinstance(params["input"], str):
        params["input"] = to_json(params["input"])
    return params


def _response(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _response(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_response(v) for v in value]
    if hasattr(value, "read"):
        return value.read().decode("utf-8", "replace")
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


def sdk_error(service_id: str, parsed: dict, status: int) -> StatesError:
    service, client_name = names(service_id)
    err = parsed.get("Error") or {}
    code, message = err.get("Code", "ServiceException"), err.get("Message", "")
    modelled = {s.name for s in _model(service).error_shapes}
    if code in modelled:
        shape = code if code.endswith("Exception") else f"{code}Exception"
    else:
        shape = f"{client_name}Exception"
    rid = (parsed.get("ResponseMetadata") or {}).get("RequestId") or "00000000-0000-0000-0000-000000000000"
    cause = f"{message} (Service: {client_name}, Status Code: {status}, Request ID: {rid})"
    if service_id == "sfn":
        cause += " (SDK Attempt Count: 1)"
    return StatesError(f"{client_name}.{shape}", cause)

"""The botocore hooks that make every boto3 call a scheduling point.

Installed once per process into botocore's ``BUILTIN_HANDLERS`` (as moto does),
so every client created afterwards carries them, including clients that
handler modules create at import time. The hooks themselves hold no state:
they look at the current greenlet (a handler run by some simulation) or at a
marker that ``Simulation.client()`` puts on its own clients; any other call
passes through untouched.

* ``before-parameter-build`` (registered last, after boto3's DynamoDB resource
  layer has typed the values) keeps the API parameters for the next hook.
* ``before-call`` hands the call to the simulation. Its reply is either a
  response (Lambda, EventBridge, SQS, Scheduler... are modelled by the
  simulator), or PROCEED: the request then goes on to the AWS emulator
  (DynamoDB, S3, SES) after the simulation has checked and prepared it.
* ``after-call`` lets the simulation observe emulator results (TTL tracking).

``time.sleep`` is replaced by a function that sleeps on the virtual clock when
called from a handler, and really sleeps anywhere else.
"""

from __future__ import annotations

import time

import boto3
from botocore import handlers as botocore_handlers
from botocore.awsrequest import AWSResponse

from sim.runtime import botofast, http, netguard, proxyenv
from sim.runtime.calls import PROCEED, ApiCall, Respond, Sleep
from sim.runtime.greenlets import ask_simulator, current_owner
from sim.runtime.retries import policy_for

PARAMS_KEY = "shadowsim.params"
CONTROL_KEY = "shadowsim.control"
_real_sleep = time.sleep


def _capture_params(params, context=None, **_kw):
    if context is not None and (current_owner() is not None or CONTROL_KEY in context):
        context[PARAMS_KEY] = params


def _intercept(model, params, context=None, **_kw):
    owner = current_owner()
    control = context.get(CONTROL_KEY) if context else None
    if owner is None and control is None:
        return None
    service = model.service_model.service_name
    call = ApiCall(service, model.name, dict(context.get(PARAMS_KEY) or {}),
                   policy_for(service, context.get("client_config")), params)
    if owner is not None:
        reply = ask_simulator(call)
        sim = owner.sim
    else:
        reply = control.control_call(call)
        sim = control
    if reply is PROCEED:
        sim.emulator.prepare(service, params)
        return None
    return _http_response(reply, params), _parsed(reply)


def _http_response(reply: Respond, request) -> AWSResponse:
    return AWSResponse(request.get("url", ""), reply.status, reply.headers, None)


def _parsed(reply: Respond) -> dict:
    parsed = dict(reply.parsed)
    meta = dict(parsed.get("ResponseMetadata") or {})
    meta.setdefault("HTTPStatusCode", reply.status)
    meta.setdefault("HTTPHeaders", dict(reply.headers))
    meta.setdefault("RetryAttempts", 0)
    parsed["ResponseMetadata"] = meta
    return parsed


def _observe(http_response, parsed, model, context=None, **_kw):
    owner = current_owner()
    if owner is None or context is None or PARAMS_KEY not in context:
        return
    owner.sim.observe_emulator_call(model.service_model.service_name, model.name,
                                    context[PARAMS_KEY], http_response.status_code, parsed)


def virtual_sleep(seconds: float) -> None:
    if current_owner() is not None:
        ask_simulator(Sleep(float(seconds)))
    else:
        _real_sleep(seconds)


def install() -> None:
    """Idempotent: register the hooks for every botocore session made from now on."""
    if getattr(botocore_handlers, "_shadowsim_installed", False):
        return
    botocore_handlers.BUILTIN_HANDLERS.extend([
        ("before-parameter-build", _capture_params, botocore_handlers.REGISTER_LAST),
        ("before-call", _intercept),
        ("after-call", _observe),
    ])
    botocore_handlers._shadowsim_installed = True
    # A default session made before this import would lack the hooks.
    boto3.DEFAULT_SESSION = None
    time.sleep = virtual_sleep
    netguard.install()
    http.install()
    botofast.install()
    proxyenv.install()

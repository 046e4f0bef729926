"""Memoised pure helpers inside in-process moto (pinned: moto==5.2.5).

Every request a handler lets through to the emulator pays for two pieces of
moto bookkeeping that recompute the same answer each time (profiled on a
simulated trading day: about 40% of the time spent in moto):

* ``BaseResponse.call_action`` lists the response class's methods with
  ``inspect.getmembers`` on every request, to check that the action exists.
  The list depends on the class only; it is kept per class, and recomputed if
  a class of its MRO gains or loses an attribute (a test patching one in).
* The response serializer looks up every member of every output shape through
  six alias providers (objects made afresh per lookup). For a plain ``dict``
  (what DynamoDB's responses are) the candidate keys depend only on the
  member's name, its shape and the shape's parent structure: the providers
  that look at the object itself find no ``Meta`` on a dict and the class name
  "dict". Those candidates are kept per (name, shape, parent). For a dict the
  lookup itself is then done as moto's picker does it (the first candidate the
  dict holds, then the response's transformers), without building a picker
  context per member; everything for other objects is moto's own code.

* ``BotocoreStubber.process_request`` finds the handler for a request by
  matching its URL against every service's pattern (about 140 regular
  expressions), then against the matching backend's ``urls``, a property that
  rebuilds its dict on every access (and for S3 reloads ``moto.s3.urls``
  twice, because custom S3 endpoints come from an environment variable). The
  route is a pure function of the URL, the static pattern tables and the two
  environment variables moto's URL tables read (``MOTO_S3_CUSTOM_ENDPOINTS``,
  ``MOTO_ENABLE_ISO_REGIONS``); it is kept per (URL, those variables). The
  checks that read moto's mock configuration (passthrough, service whitelist)
  are still made on every request, in the same order, and the handler is
  called exactly as moto calls it.

* ``S3Response.subdomain_based_buckets`` (is the bucket in the host name?) is
  asked five times per S3 request and runs up to a dozen regular expressions
  over the request's host. Past reading the host from the request, its answer
  is a pure function of the host, ``S3_IGNORE_SUBDOMAIN_BUCKETNAME``, the
  custom endpoints variable and moto's alternative domain suffixes; it is kept
  per those.

All are caches of pure functions over objects moto never changes (botocore
shapes, classes, URL tables), so responses are byte-identical. With another
moto version nothing is patched.
"""

from __future__ import annotations

import os
import re
from typing import Any

from sim.runtime.patching import Patches

MOTO_VERSION = "5.2.5"
_patches = Patches()


def install() -> None:
    """Idempotent; a no-op unless the installed moto is the pinned version."""
    import moto

    if _patches.active or moto.__version__ != MOTO_VERSION:
        return
    _cache_method_names()
    _cache_alias_keys()
    _cache_routes()
    _cache_s3_host_style()


def uninstall() -> None:
    """Put moto's own functions back (the equivalence tests compare both)."""
    _patches.undo()


def _cache_method_names() -> None:
    from moto.core import responses, utils

    original = utils.method_names_from_class
    cache: dict[type, tuple[tuple[int, ...], frozenset[str]]] = {}

    def method_names_from_class(clazz: Any) -> frozenset[str]:
        # the caller only asks `action in method_names`
        shape = tuple(len(vars(c)) for c in clazz.__mro__)
        hit = cache.get(clazz)
        if hit is None or hit[0] != shape:
            hit = (shape, frozenset(original(clazz)))
            cache[clazz] = hit
        return hit[1]

    _patches.set(responses, "method_names_from_class", method_names_from_class)


def _cache_alias_keys() -> None:
    from moto.core import serialize, utils

    picker = serialize.XFormedAttributePicker
    original = picker.get_possible_keys
    defaults = serialize.DEFAULT_ALIAS_PROVIDERS
    default_order = tuple(defaults)
    cache: dict[tuple, tuple[str, ...]] = {}
    missing = object()
    moto_missing = utils.MISSING
    moto_get_value = utils.get_value
    original_get_value = serialize.ResponseSerializer.get_value

    def get_possible_keys(self, context):
        if type(context.obj) is not dict or self.alias_providers is not defaults \
                or tuple(defaults) != default_order:
            return original(self, context)
        shape = context.shape  # botocore shapes hash by identity
        parent = getattr(shape, "parent", missing) if shape is not None else missing
        key = (context.key, shape, parent)
        keys = cache.get(key)
        if keys is None:
            try:
                keys = tuple(original(self, context))
            except Exception:  # noqa: BLE001 - a provider moto would not have reached: stay lazy
                return original(self, context)
            cache[key] = keys
        return keys

    _patches.set(picker, "get_possible_keys", get_possible_keys)

    def get_value(self, value, key, shape):
        value_picker = self._value_picker
        if type(value) is not dict or type(value_picker) is not picker:
            return original_get_value(self, value, key, shape)
        parent = getattr(shape, "parent", missing) if shape is not None else missing
        keys = cache.get((key, shape, parent))
        if keys is None or value_picker.alias_providers is not defaults:
            return original_get_value(self, value, key, shape)  # fills the cache when it can
        # AttributePicker.__call__ for a dict: moto's get_value is obj[key] (or a dotted path)
        for possible_key in keys:
            found = (moto_get_value(value, possible_key, moto_missing) if "." in possible_key
                     else value.get(possible_key, moto_missing))
            if found is not moto_missing:
                break
        else:
            found = None
        transformers = value_picker.response_transformers
        if transformers:
            key_path = f"{'.'.join(self.path)}.{key}"
            for transform_path, transform in transformers.items():
                if key_path.endswith(transform_path):
                    return transform(found)
        return found

    _patches.set(serialize.ResponseSerializer, "get_value", get_value)


ROUTES_MAX = 4096  # distinct request URLs kept (S3 object keys make many); cleared when full


def _cache_routes() -> None:
    from moto import backend_index, settings
    from moto.core import botocore_stubber
    from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
    from moto.core.exceptions import ServiceNotWhitelisted
    from moto.core.request import normalize_request
    from moto.core.utils import get_equivalent_url_in_aws_domain

    routes: dict[tuple, tuple] = {}
    not_implemented = re.compile(r"https?://.+\.amazonaws.com/.*")

    def resolve(clean_url: str) -> tuple | None:
        """The original's search: (service, handler or None) for each service it visits, in order;
        None where a passthrough service ends it. Raises as it does for a service not whitelisted."""
        import moto.backends as backends
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.core.base_backend import BackendDict

        visited = []
        for service, pattern in backend_index.backend_url_patterns:
            if not pattern.match(clean_url):
                continue
            if passthrough_service(service):
                return None
            if not service_whitelisted(service):
                raise ServiceNotWhitelisted(service)
            backend_dict = backends.get_backend(service)
            if isinstance(backend_dict, BackendDict):
                if "us-east-1" in backend_dict[DEFAULT_ACCOUNT_ID]:
                    backend = backend_dict[DEFAULT_ACCOUNT_ID]["us-east-1"]
                else:
                    backend = backend_dict[DEFAULT_ACCOUNT_ID]["aws"]
            else:
                backend = backend_dict["global"]
            handler = next((method for url, method in backend.urls.items() if re.compile(url).match(clean_url)),
                           None)
            visited.append((service, handler))
            if handler is not None:
                break
        return tuple(visited)

    def process_request(self, request):
        parsed_url, _ = get_equivalent_url_in_aws_domain(request.url)
        clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
        if passthrough_url(clean_url):
            return None
        environ = os.environ
        key = (clean_url, environ.get("MOTO_S3_CUSTOM_ENDPOINTS"), settings.enable_iso_regions(),
               len(backend_index.backend_url_patterns))
        visited = routes.get(key)
        if visited is None:
            visited = resolve(clean_url)  # makes the original's checks itself
            if visited is None:
                return None
            if len(routes) >= ROUTES_MAX:
                routes.clear()
            routes[key] = visited
        else:
            for service, _handler in visited:  # the configuration may have changed since: check again
                if passthrough_service(service):
                    return None
                if not service_whitelisted(service):
                    raise ServiceNotWhitelisted(service)
        handler = visited[-1][1] if visited else None
        if handler is not None:
            from moto.core.exceptions import HTTPException
            from moto.moto_api import recorder

            normalized_request = normalize_request(request)
            try:
                recorder._record_request(normalized_request)
                status, headers, body = handler(normalized_request, normalized_request.raw_url,
                                                normalized_request.headers)
            except HTTPException as e:
                status = e.code
                headers = e.get_headers()
                body = e.get_body()
            return status, headers, body
        if not_implemented.match(clean_url):
            return 404, {}, "Not yet implemented"
        return None

    _patches.set(botocore_stubber.BotocoreStubber, "process_request", process_request)


def _cache_s3_host_style() -> None:
    from urllib.parse import urlparse

    from moto import settings
    from moto.s3 import responses as s3_responses

    original = s3_responses.S3Response.__dict__["subdomain_based_buckets"].__func__
    answers: dict[tuple, bool] = {}

    class _Host:  # what the original reads of a request, once the host is known
        def __init__(self, host: str) -> None:
            self.headers = {"host": host}
            self.url = ""

    def subdomain_based_buckets(request: Any) -> bool:
        if settings.S3_IGNORE_SUBDOMAIN_BUCKETNAME:
            return False
        host = request.headers.get("host", request.headers.get("Host"))
        if not host:
            host = urlparse(request.url).netloc
        key = (host, os.environ.get("MOTO_S3_CUSTOM_ENDPOINTS"), tuple(s3_responses.ALT_DOMAIN_SUFFIXES))
        answer = answers.get(key)
        if answer is None:
            if len(answers) >= ROUTES_MAX:
                answers.clear()
            answer = answers[key] = bool(original(_Host(host))) if host else bool(original(request))
        return answer

    _patches.set(s3_responses.S3Response, "subdomain_based_buckets", staticmethod(subdomain_based_buckets))

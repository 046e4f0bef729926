"""Cheaper botocore client creation and event dispatch, with the same results.

Handlers make their boto3 clients per invocation, as Lambda code often does,
and a client cost about 2-4 ms to build. These parts of that recompute, per
client, something that depends only on immutable inputs, or make something no
in-process call uses:

* The endpoint ruleset: every client parses its service's endpoint rule set
  (botocore's loader caches the JSON, not the parsed rules) into an
  ``EndpointProvider``, up to 1.3 ms for S3, and starts with an empty cache of
  resolved endpoints. The provider is a pure function of the rule set and
  partition data (the same loader-cached dicts every time), and its resolve
  cache a pure function of the parameters, so one provider per (rule set,
  partitions, excluded parameters) serves every client.
* Event name aliasing: each client's ``EventAliaser`` maps every event name it
  emits through botocore's alias table, caching per client, so a new client
  starts cold. With the default table (each client holds an equal copy) the
  mapping is a pure function of the name, kept process-wide; the per-client
  cache and its debug log line on a first rename stay as they were.
* The copy of the session's handler trie each client takes (about 400 nodes,
  a third of a client's cost): the copy shares the nodes instead, and each
  trie copies a node (its children map and its handler lists) before it
  changes it, the first time it changes it, along the path of the key it
  registers or removes (path copying). Each trie then holds the same handlers
  in the same order as after botocore's deep copy, and a registration on one
  never shows in another; lookups read the nodes as before.
* The check that a handler accepts ``**kwargs`` made at every registration
  (``inspect.getfullargspec``, 14 per client): for a plain function, or a
  method of one, without a ``__signature__`` of its own the answer depends
  only on its code object, and is kept per code object.
* The service model: botocore wraps the loader's cached JSON model in a new
  ``ServiceModel`` per client, whose operation and shape caches then start
  empty (each client resolved its operations' shapes again, and walked every
  operation to see whether endpoint discovery is needed). The model is a
  read-only view of that JSON; one per (service, JSON model) is kept and
  shared by the clients made from it.
* The client class: botocore builds a new class per client (one method and
  one docstring object per operation: 240 for DynamoDB... and S3), after the
  session's ``creating-client-class`` handlers have added their methods. For
  the same session emitter, service model data (the loader's cached dict) and
  the same handlers for that event, all of them botocore's or boto3's own
  (which only add attributes: presigned URLs, S3 transfers), the class is the
  same; it is kept and reused. Any other handler, or a changed set of
  handlers, builds a class as botocore does. (The handlers are looked up under
  the aliased event name, as ``emit`` looks them up; a boto3 ``lazy_call``
  counts as the library's own only when the function it imports is.)
* The TLS context: each client's ``URLLib3Session`` makes an ``ssl.SSLContext``
  for its pool manager (about 0.15 ms to make, and to free: two fifths of a
  client), and no request of an in-process call is ever sent by it (moto
  answers at ``before-send``). The context is made from no input
  (``create_urllib3_context()`` with botocore's defaults, whatever the
  session's verify, proxy or certificate settings, which are applied per
  connection), so making it later makes the same context: the pool manager is
  built with a placeholder in its place, and the first read of the session's
  ``_manager`` (to send, to close, or by anyone else) puts the context there,
  once (under a lock). A subclass, or a replaced ``_get_pool_manager_kwargs``
  or ``create_urllib3_context``, makes it at once, as botocore does; and
  ``uninstall()`` first gives their context to the sessions still without one.
* Config variables: a client reads about 40 of them and the config file's
  section of the session's profile about 50 times (each time asking for the
  profile), through provider chains whose environment provider asks
  ``os.environ`` twice (``in`` and then ``[]``, each encoding the name, a miss
  raising and catching ``KeyError``), and whose session provider copies the
  session's variables to read one: a fifth of a client. The environment
  changes between handler invocations, so nothing is cached: the environment
  provider, when it reads ``os.environ`` (CPython's ``_Environ``), looks the
  encoded name up once in its encoded pairs and decodes the value as
  ``os.environ`` does, and the session provider reads the session's own dict
  (botocore's ``instance_variables`` returns a shallow copy of it). Other
  environments or sessions go through botocore's own code.
* The User-Agent header's request-independent parts: botocore renders them
  once per ``UserAgentString`` and keeps them while the values they are built
  from (``_static_inputs()``: the session's and the client config's names,
  extras, app id and retry mode) stay the same, but each client has its own
  copy and renders them again, twice per client. They are a pure function of
  those values and of the platform values the object was made with; the
  rendered parts (an immutable named tuple) are kept per those values (each
  with its type) and shared.

The boto3 side (resource classes) is in ``sim.runtime.boto3fast``, installed
and removed with these. Installed once per process with the interposition hooks.
"""

from __future__ import annotations

import copy
import os
import threading
import weakref

from boto3 import utils as boto3_utils

from sim.runtime.patching import Patches

_patches = Patches()


def install() -> None:
    """Idempotent."""
    from sim.runtime import boto3fast

    if not _patches.active:
        _share_endpoint_providers()
        _share_alias_names()
        _share_trie_nodes()
        _cache_accepts_kwargs()
        _share_client_classes()
        _defer_ssl_contexts()
        _read_config_sources_directly()
        _share_user_agent_parts()
    boto3fast.install()


def uninstall() -> None:
    """Put botocore's and boto3's own functions back (the equivalence tests compare both)."""
    from sim.runtime import boto3fast

    boto3fast.uninstall()
    for session in list(_SSL_PENDING):  # botocore's sessions have their context at once: give it to these now
        getattr(session, "_manager", None)
    _SSL_PENDING.clear()
    _patches.undo()


def _share_endpoint_providers() -> None:
    from botocore import regions

    provider_cls = regions.EndpointProvider
    shared: dict[tuple, tuple] = {}

    def endpoint_provider(ruleset_data, partition_data, excluded_params=None):
        excluded = frozenset(excluded_params) if excluded_params is not None else None  # S3's is a set
        key = (id(ruleset_data), id(partition_data), excluded)
        hit = shared.get(key)
        # the dicts are held by the entry, so their ids cannot be reused while it lives
        if hit is None or hit[0] is not ruleset_data or hit[1] is not partition_data:
            hit = (ruleset_data, partition_data, provider_cls(ruleset_data=ruleset_data, partition_data=partition_data,
                                                              excluded_params=excluded_params))
            shared[key] = hit
        return hit[2]

    _patches.set(regions, "EndpointProvider", endpoint_provider)


def _share_alias_names() -> None:
    from botocore import hooks

    aliaser = hooks.EventAliaser
    original = aliaser._alias_event_name
    default_aliases = hooks.EVENT_ALIASES
    names: dict[str, str] = {}

    def _alias_event_name(self, event_name):
        cached = self._alias_name_cache.get(event_name)
        if cached is not None:
            return cached
        aliases = self._event_aliases  # a client's aliaser holds a copy of the default table
        if aliases is not default_aliases and aliases != default_aliases:
            return original(self, event_name)
        new_name = names.get(event_name)
        if new_name is None:
            return names.setdefault(event_name, original(self, event_name))  # logs as it did
        if new_name != event_name:
            hooks.logger.debug("Changing event name from %s to %s", event_name, new_name)
        self._alias_name_cache[event_name] = new_name
        return new_name

    _patches.set(aliaser, "_alias_event_name", _alias_event_name)


def _share_trie_nodes() -> None:
    from botocore import hooks

    trie = hooks._PrefixTrie
    node_list = hooks.NodeList
    original_append, original_remove, original_copy = trie.append_item, trie.remove_item, trie.__copy__

    def own(owned: dict, node: dict) -> dict:
        owned[id(node)] = node  # held, so its id is not reused while the trie lives
        return node

    def clone(node: dict) -> dict:
        out = {}
        for key, value in node.items():
            if key == "children":
                out[key] = dict(value)  # the children themselves stay shared until changed
            elif isinstance(value, node_list):
                out[key] = copy.copy(value)  # NodeList.__copy__: new lists, same handlers
            else:
                out[key] = value
        return out

    def owned_root(self, owned: dict) -> dict:
        root = self._root
        if owned.get(id(root)) is not root:
            root = self._root = own(owned, clone(root))
        return root

    def __copy__(self):
        state = self.__dict__
        if set(state) - {"_root", "_owned"}:
            return original_copy(self)
        new = self.__class__()
        new.__dict__ = {"_root": state["_root"], "_owned": {}}
        state["_owned"] = {}  # every node is now shared by both
        return new

    def append_item(self, key, value, section=hooks._MIDDLE):
        owned = self.__dict__.get("_owned")
        if owned is None:  # never copied: every node is this trie's own
            return original_append(self, key, value, section)
        current = owned_root(self, owned)
        for part in key.split("."):
            children = current["children"]
            child = children.get(part)
            if child is None:
                child = children[part] = own(owned, {"chunk": part, "values": None, "children": {}})
            elif owned.get(id(child)) is not child:
                child = children[part] = own(owned, clone(child))
            current = child
        if current["values"] is None:
            current["values"] = node_list([], [], [])
        current["values"][section].append(value)

    def remove_item(self, key, value):
        owned = self.__dict__.get("_owned")
        if owned is not None:  # own the existing path, then botocore's removal changes only owned nodes
            current = owned_root(self, owned)
            for part in key.split("."):
                children = current["children"]
                child = children.get(part)
                if child is None:
                    break
                if owned.get(id(child)) is not child:
                    child = children[part] = own(owned, clone(child))
                current = child
        return original_remove(self, key, value)

    _patches.set(trie, "__copy__", __copy__)
    _patches.set(trie, "append_item", append_item)
    _patches.set(trie, "remove_item", remove_item)


def _cache_accepts_kwargs() -> None:
    import inspect
    import types

    from botocore import hooks

    original = hooks.accepts_kwargs
    by_code: dict = {}

    def accepts_kwargs(func):
        plain = func.__func__ if type(func) is types.MethodType else func
        if type(plain) is not types.FunctionType or "__signature__" in plain.__dict__ \
                or "__signature__" in vars(type(func)):
            return original(func)
        code = plain.__code__
        if code not in by_code:
            if len(by_code) >= 4096:
                by_code.clear()
            by_code[code] = inspect.getfullargspec(plain)[2]  # a method's bound self does not change it
        return by_code[code]

    _patches.set(hooks, "accepts_kwargs", accepts_kwargs)


CLASSES_MAX = 256


def _share_client_classes() -> None:
    from botocore import client as botocore_client
    from botocore import hooks

    creator = botocore_client.ClientCreator
    original = creator._create_client_class
    original_load = creator._load_service_model
    classes: dict[tuple, tuple] = {}
    models: dict[tuple, tuple] = {}

    def _load_service_model(self, service_name, api_version=None):
        # the loader's (cached, shared) dict the model is built from: the key of both caches
        source = self._loader.load_service_model(service_name, "service-2", api_version=api_version)
        key = (service_name, id(source))
        hit = models.get(key)
        if hit is None or hit[0] is not source:
            if len(models) >= CLASSES_MAX:
                models.clear()
            model = original_load(self, service_name, api_version)
            model._shadowsim_source = source
            hit = models[key] = (source, model)
        return hit[1]

    def _create_client_class(self, service_name, service_model):
        source = getattr(service_model, "_shadowsim_source", None)
        aliaser = self._event_emitter
        if source is None or type(aliaser) is not hooks.EventAliaser \
                or type(aliaser._emitter) is not hooks.HierarchicalEmitter:
            return original(self, service_name, service_model)
        event = aliaser._alias_event_name(f"creating-client-class.{service_model.service_id.hyphenize()}")
        handlers = tuple(aliaser._emitter._handlers.prefix_search(event))  # those emit calls, by its name
        if not all(library_handler(h) for h in handlers):
            return original(self, service_name, service_model)
        key = (id(aliaser), service_name, id(source), tuple(id(h) for h in handlers))
        hit = classes.get(key)
        # the entry holds what its key names by id, so no id is reused while it lives
        if hit is None or hit[0] is not aliaser or hit[1] is not source or hit[2] != handlers:
            if len(classes) >= CLASSES_MAX:
                classes.clear()
            hit = (aliaser, source, handlers, original(self, service_name, service_model))
            classes[key] = hit
        return hit[3]

    _patches.set(creator, "_load_service_model", _load_service_model)
    _patches.set(creator, "_create_client_class", _create_client_class)


_LIBRARIES = ("botocore", "boto3")
_LAZY_CALL_CODE = boto3_utils.lazy_call("boto3.utils.lazy_call").__code__  # the code of every lazy_call handler


def library_handler(handler) -> bool:
    """A plain function of botocore or boto3 (these only add methods or base classes to the class
    being made). boto3's ``lazy_call`` wrapper counts when the function it imports is one too."""
    module = getattr(handler, "__module__", None) or ""
    if getattr(handler, "__self__", None) is not None or module.split(".")[0] not in _LIBRARIES:
        return False
    lazy = _LAZY_CALL_CODE
    if getattr(handler, "__code__", None) is lazy:
        cells = dict(zip(lazy.co_freevars, handler.__closure__ or ()))
        target = cells["full_name"].cell_contents if "full_name" in cells else None
        return isinstance(target, str) and target.split(".")[0] in _LIBRARIES
    return True


_SSL_LATER = object()  # stands for a TLS context in a pool manager's arguments until it is made
_SSL_LOCK = threading.Lock()
_SSL_PENDING: "weakref.WeakSet" = weakref.WeakSet()  # sessions whose context is still to be made


def _defer_ssl_contexts() -> None:
    from botocore import httpsession

    session_cls = httpsession.URLLib3Session
    original_init = session_cls.__init__
    original_ssl_context = session_cls._get_ssl_context
    original_pool_kwargs = session_cls._get_pool_manager_kwargs
    create_context = httpsession.create_urllib3_context
    lock, later, building = _SSL_LOCK, _SSL_LATER, "_shadowsim_building"

    def __init__(self, *args, **kwargs):
        if type(self) is not session_cls or session_cls._get_pool_manager_kwargs is not original_pool_kwargs \
                or httpsession.create_urllib3_context is not create_context:
            return original_init(self, *args, **kwargs)
        state = self.__dict__
        state[building] = True
        try:
            original_init(self, *args, **kwargs)
        finally:
            del state[building]
        _SSL_PENDING.add(self)

    def _get_ssl_context(self):
        if building in self.__dict__:
            return later
        return original_ssl_context(self)

    def missing(self) -> AttributeError:
        return AttributeError(f"{type(self).__name__!r} object has no attribute '_manager'")

    def get_manager(self):
        state = self.__dict__
        try:
            manager = state["_manager"]
        except KeyError:
            raise missing(self) from None
        kwargs = getattr(manager, "connection_pool_kw", None)
        if type(kwargs) is dict and kwargs.get("ssl_context") is later and building not in state:
            with lock:  # made once, whoever reads first (a copy of the session shares the manager)
                if kwargs.get("ssl_context") is later:
                    kwargs["ssl_context"] = original_ssl_context(self)
                _SSL_PENDING.discard(self)
        return manager

    def set_manager(self, manager):
        self.__dict__["_manager"] = manager

    def del_manager(self):
        try:
            del self.__dict__["_manager"]
        except KeyError:
            raise missing(self) from None

    _patches.set(session_cls, "__init__", __init__)
    _patches.set(session_cls, "_get_ssl_context", _get_ssl_context)
    _patches.set(session_cls, "_manager", property(get_manager, set_manager, del_manager))


def _read_config_sources_directly() -> None:
    from botocore import configprovider
    from botocore import session as botocore_session

    environ = os.environ
    if type(environ) is not os._Environ or not isinstance(getattr(environ, "_data", None), dict):
        return
    env_provider, instance_provider = configprovider.EnvironmentProvider, configprovider.InstanceVarProvider
    original_env, original_instance = env_provider.provide, instance_provider.provide
    session_cls = botocore_session.Session
    original_instance_variables = session_cls.instance_variables

    def provide_env(self):
        name = self._name
        if self._env is not environ or type(name) is not str:
            return original_env(self)
        value = environ._data.get(environ.encodekey(name))  # os.environ's `in` then `[]`, in one look-up
        return None if value is None else environ.decodevalue(value)

    def provide_instance(self):
        session = self._session
        if type(session).instance_variables is not original_instance_variables:
            return original_instance(self)
        instance_vars = session._session_instance_vars
        if type(instance_vars) is not dict:
            return original_instance(self)
        return instance_vars.get(self._instance_var)  # what .get on botocore's copy of it answers

    _patches.set(env_provider, "provide", provide_env)
    _patches.set(instance_provider, "provide", provide_instance)


def _share_user_agent_parts() -> None:
    from botocore import useragent

    ua_cls = useragent.UserAgentString
    original = ua_cls._build_static_parts
    shared: dict = {}

    def typed(value):
        if type(value) is tuple:
            return tuple(typed(v) for v in value)
        return type(value), value  # 1 and 1.0, equal keys, render differently

    def _build_static_parts(self, inputs):
        if type(self) is not ua_cls:
            return original(self, inputs)
        key = typed((inputs, self._platform_name, self._platform_version, self._platform_machine,
                     self._python_version, self._python_implementation, self._execution_env, self._crt_version))
        try:
            parts = shared.get(key)
        except TypeError:  # an unhashable value (a list for an extra...)
            return original(self, inputs)
        if parts is None:
            if len(shared) >= CLASSES_MAX:
                shared.clear()
            parts = shared[key] = original(self, inputs)
        return parts

    _patches.set(ua_cls, "_build_static_parts", _build_static_parts)

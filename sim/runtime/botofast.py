"""Cheaper botocore client creation and event dispatch, with the same results.

Handlers make their boto3 clients per invocation, as Lambda code often does,
and a client costs about 2-4 ms to build. Three parts of that recompute, per
client, something that depends only on immutable inputs:

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
  handlers, builds a class as botocore does.

Installed once per process with the interposition hooks.
"""

from __future__ import annotations

import copy

from sim.runtime.patching import Patches

_patches = Patches()


def install() -> None:
    """Idempotent."""
    if _patches.active:
        return
    _share_endpoint_providers()
    _share_alias_names()
    _share_trie_nodes()
    _cache_accepts_kwargs()
    _share_client_classes()


def uninstall() -> None:
    """Put botocore's own functions back (the equivalence tests compare both)."""
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
        event = f"creating-client-class.{service_model.service_id.hyphenize()}"
        handlers = tuple(aliaser._emitter._handlers.prefix_search(event))
        if not all(_library_handler(h) for h in handlers):
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


def _library_handler(handler) -> bool:
    """A plain function of botocore or boto3 (these only add methods to the class being made)."""
    module = getattr(handler, "__module__", None) or ""
    return getattr(handler, "__self__", None) is None and module.split(".")[0] in ("botocore", "boto3")

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
* The copy of the session's handler trie each client takes: the same
  structure (new dicts, new handler lists, the same handlers) built without
  ``copy.copy``'s generic dispatch.

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
    _fast_trie_copy()


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


def _fast_trie_copy() -> None:
    from botocore import hooks

    node_list = hooks.NodeList

    def _recursive_copy(self, node):
        copied = {}
        for key, value in node.items():
            cls = value.__class__
            if cls is node_list:
                first, middle, last = value
                if first.__class__ is list and middle.__class__ is list and last.__class__ is list:
                    copied[key] = node_list(first.copy(), middle.copy(), last.copy())
                else:
                    copied[key] = copy.copy(value)
            elif cls is dict:
                copied[key] = _recursive_copy(self, value)
            elif isinstance(value, node_list):
                copied[key] = copy.copy(value)
            elif isinstance(value, dict):
                copied[key] = self._recursive_copy(value)
            else:
                copied[key] = value
        return copied

    _patches.set(hooks._PrefixTrie, "_recursive_copy", _recursive_copy)

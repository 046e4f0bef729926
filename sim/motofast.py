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

Both are caches of pure functions over objects moto never changes (botocore
shapes, classes), so responses are byte-identical. With another moto version
nothing is patched.
"""

from __future__ import annotations

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

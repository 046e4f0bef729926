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

DynamoDB's expressions (about 1 ms of moto's 2 per UpdateItem, profiled on a
simulated trading day) are parsed and checked afresh on every request, and
twice per UpdateItem (once by the response layer, once by the backend):

* ``UpdateExpressionParser.make`` (tokenizing and parsing) is a pure function
  of the expression's text. Its tree is kept per text as nested tuples (never
  handed out), and each call gets a fresh tree built from them: what the
  parser would have built, node for node. Failures are not kept, and nothing
  is kept while the parser's logger would log its debug lines.
* The validator deep-copies that tree before resolving it against the item
  (``copy.deepcopy``); for a tree as the parser makes it (moto's node classes,
  each the parent of its children, atoms as leaves) the copy is built
  directly, as deepcopy builds it; anything else still goes to deepcopy.
* Of the validator's ten passes, the first three (at most one clause of a
  kind, no overlapping paths, no key attribute updated) only check the tree's
  structure, the ExpressionAttributeNames and the table's key attributes, and
  they run over every clause once per node (about 300 recursions per
  UpdateItem). Once they passed for a (structure, names, key attributes),
  they are not run again for it; any failure is raised by moto's own passes.
* ``DepthFirstTraverser`` rebuilt its processing map (a dict of bound methods)
  and asked the ABC machinery whether each node is a Node and one of the
  processed kinds, for every node. For moto's own passes, whose map is the
  same every time, the map is built once per pass, and the isinstance answers
  are kept per (pass, type) until an ABC registers a class.
* ``ConditionExpressionParser.parse`` (ConditionExpression, FilterExpression)
  looks up each placeholder while parsing, but the parse does not otherwise
  depend on the values found. It is done once per text with the lookups left
  as slots; each call then makes the same lookups in the same order (so a
  missing one fails as it fails there), fills the slots in and builds the
  operators with moto's own code. Texts that do not parse are left to moto.
* Reserved words were found by a linear search of a 573-word list; the same
  question is asked of a set made from that list (kept while it is the list).

And what every DynamoDB request pays for its item and its JSON:

* The JSON serializer looks up each of a structure's members in a dict (ten
  for every AttributeValue, of which one is there). With the candidate keys
  kept above, only the members one of the dict's keys is a candidate of are
  looked up, in the members' order, and a plain str for a string member is
  stored as ``_serialize_type_string`` would store it. The JSON request
  parser likewise reads only the members the dict has.
* ``LimitedSizeDict.__setitem__`` re-measures the whole item on every store
  (each attribute of a 30-attribute item, 30 times, on a PutItem); it does the
  same sums with the scalar sizes computed inline.
* ``DynamoResult`` converts results with ``dynamo_to_dict``; plain dicts,
  lists, strings and non-binary DynamoTypes are converted directly, anything
  else by moto's function.
* ``Item.__deepcopy__`` (twice per UpdateItem) copies each DynamoType through
  ``copy.deepcopy``'s dispatch; it is copied as its own ``__deepcopy__`` copies
  it, recording it in the memo as deepcopy does.

All are caches of pure functions over objects moto never changes (botocore
shapes, classes, URL tables, expression texts), or the same computation done
with fewer steps, each falling back to moto's own code wherever a class,
method or input is not the one it was written for, so responses are
byte-identical. With another moto version nothing is patched.
"""

from __future__ import annotations

import copy
import logging
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
    _cache_update_expressions()
    _cache_update_checks()
    _traverse_once_per_map()
    _cache_condition_parses()
    _pick_structure_members_inline()
    _parse_present_members_only()
    _size_scalars_directly()
    _reserved_words_as_set()
    _plain_results_directly()
    _copy_items_directly()


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


def first_present(value: dict, keys, dotted_get, missing) -> Any:
    """What moto's attribute picker finds in a dict: the first candidate key it holds (a dotted
    key read as a path, as ``moto.core.utils.get_value`` reads it), else None."""
    for possible_key in keys:
        found = dotted_get(value, possible_key, missing) if "." in possible_key else value.get(possible_key, missing)
        if found is not missing:
            return found
    return None


def present_positions(value: dict, count: int, index: dict | None):
    """The positions (in the members' order) of a structure's ``count`` members that one of the
    dict's keys names, by ``index`` (key -> positions); all of them without an index or when the
    dict has as many keys as there are members."""
    if index is None or len(value) >= count:
        return range(count)
    if len(value) == 1:
        return index.get(next(iter(value)), ())
    return sorted({p for k in value for p in index.get(k, ())})


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
        found = first_present(value, keys, moto_get_value, moto_missing)
        transformers = value_picker.response_transformers
        if transformers:
            key_path = f"{'.'.join(self.path)}.{key}"
            for transform_path, transform in transformers.items():
                if key_path.endswith(transform_path):
                    return transform(found)
        return found

    get_value.alias_keys = cache  # read by _pick_structure_members_inline
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


KEPT_MAX = 4096  # distinct expressions (or expression structures) kept; cleared when full


class _PlainTrees:
    """Parsed UpdateExpressions as ``copy.deepcopy`` copies them, built directly.

    A plain tree is one the parser makes: nodes of moto's AST classes (which deepcopy rebuilds from
    their ``__dict__``: type, children, parent, in that order), each the parent of its node
    children and none of them twice, and atoms (str, int, ...) as leaves, which deepcopy hands back
    as they are. Anything else is left to deepcopy."""

    ATOMS = frozenset({str, int, bool, float, type(None)})
    STATE = ["type", "children", "parent"]

    def __init__(self) -> None:
        import copyreg

        from moto.dynamodb.parsing import ast_nodes

        def plain(cls: type) -> bool:  # deepcopy would reconstruct it from its __dict__, and nothing else
            return (isinstance(cls, type) and issubclass(cls, ast_nodes.Node) and "__slots__" not in vars(cls)
                    and cls not in copyreg.dispatch_table
                    and all(getattr(cls, name, None) is getattr(object, name, None)
                            for name in ("__deepcopy__", "__reduce_ex__", "__reduce__", "__getstate__",
                                         "__setstate__", "__copy__")))

        self.classes = frozenset(c for c in vars(ast_nodes).values() if isinstance(c, type) and plain(c))

    def _walk(self, root: Any, build: bool) -> tuple[Any, tuple] | None:
        """(the copy or None, the tree's structure as a flat tuple); None when the tree is not plain."""
        classes, atoms, state = self.classes, self.ATOMS, self.STATE
        if type(root) not in classes or root.parent is not None:
            return None
        seen: set[int] = set()
        shape: list = []

        def walk(node: Any, parent: Any) -> Any:
            if list(vars(node)) != state or type(node.type) is not str or id(node) in seen:
                raise LookupError
            seen.add(id(node))
            cls = type(node)
            twin = cls.__new__(cls) if build else None
            children = node.children
            shape.append(cls)
            if children is None:
                copied = None
                shape.append(-1)
            else:
                if type(children) is not list or id(children) in seen:
                    raise LookupError
                seen.add(id(children))
                shape.append(len(children))
                copied = []
                for child in children:
                    kind = type(child)
                    if kind in classes:
                        if child.parent is not node:
                            raise LookupError
                        copied.append(walk(child, twin))
                    elif kind in atoms:
                        copied.append(child)
                        shape.append((kind, child))
                    else:
                        raise LookupError
            if build:
                attrs = twin.__dict__
                attrs["type"] = node.type
                attrs["children"] = copied
                attrs["parent"] = parent
            return twin

        try:
            twin = walk(root, None)
        except (LookupError, RecursionError):
            return None
        return twin, tuple(shape)

    def clone(self, root: Any) -> Any:
        """What deepcopy(root) makes of a plain tree; None for any other."""
        walked = self._walk(root, True)
        return None if walked is None else walked[0]

    def signature(self, root: Any) -> tuple | None:
        walked = self._walk(root, False)
        return None if walked is None else walked[1]

    def plan(self, root: Any) -> tuple | None:
        """A plain tree as nested tuples, to build copies of it with no checks (see build)."""
        if self.signature(root) is None:
            return None

        def plan(node: Any) -> tuple:
            children = None if node.children is None else tuple(
                (True, plan(child)) if type(child) in self.classes else (False, child) for child in node.children)
            return type(node), node.type, children

        return plan(root)

    @staticmethod
    def build(plan: tuple, parent: Any = None) -> Any:
        cls, kind, children = plan
        twin = cls.__new__(cls)
        attrs = twin.__dict__
        attrs["type"] = kind
        if children is None:
            attrs["children"] = None
        else:
            build = _PlainTrees.build
            attrs["children"] = [build(child, twin) if is_node else child for is_node, child in children]
        attrs["parent"] = parent
        return twin


def _cache_update_expressions() -> None:
    from moto.dynamodb.parsing import expressions, validators

    parser = expressions.UpdateExpressionParser
    make_original = parser.__dict__["make"].__func__
    parse_log = expressions.logger
    trees = _PlainTrees()
    plans: dict[str, tuple] = {}

    def make(cls, expression_str):
        if cls is not parser or type(expression_str) is not str or parse_log.isEnabledFor(logging.DEBUG):
            return make_original(cls, expression_str)
        plan = plans.get(expression_str)
        if plan is None:
            tree = make_original(cls, expression_str)  # raises as it does: failures are not kept
            plan = trees.plan(tree)
            if plan is None:
                return tree
            if len(plans) >= KEPT_MAX:
                plans.clear()
            plans[expression_str] = plan
            return tree
        return trees.build(plan)

    _patches.set(parser, "make", classmethod(make))

    def deepcopy(x, memo=None, _nil=[]):  # noqa: B006 - copy.deepcopy's own signature
        if memo is None:
            copied = trees.clone(x)
            if copied is not None:
                return copied
        return copy.deepcopy(x, memo, _nil)

    _patches.set(validators, "deepcopy", deepcopy)


def _cache_update_checks() -> None:
    from moto.dynamodb.parsing import validators

    trees = _PlainTrees()
    checks = (validators.ActionCountValidator, validators.OverlappingPathsValidator,
              validators.UpdateHashRangeKeyValidator)
    passed: set[tuple] = set()
    original = validators.UpdateExpressionValidator.validate

    def names_key(names: Any) -> tuple | None:
        if names is None:
            return ()
        if type(names) is not dict or not all(type(k) is str and type(v) is str for k, v in names.items()):
            raise TypeError
        return ("names", *names.items())

    def validate(self):
        processors = self.processors
        if type(self) is not validators.UpdateExpressionValidator or len(processors) < len(checks) \
                or tuple(type(p) for p in processors[:len(checks)]) != checks:
            return original(self)
        node = self.node_to_validate
        shape = trees.signature(node)
        key = None
        if shape is not None:
            overlap, keys = processors[1], processors[2]
            try:
                if not all(type(a) is str for a in keys.table_key_attributes):
                    raise TypeError
                key = (shape, names_key(overlap.expression_attribute_names),
                       names_key(keys.expression_attribute_names), tuple(keys.table_key_attributes))
            except TypeError:
                key = None
        if key is None or key not in passed:
            for processor in processors[:len(checks)]:
                node = processor.traverse(node)
            if key is not None:
                if len(passed) >= KEPT_MAX:
                    passed.clear()
                passed.add(key)
        for processor in processors[len(checks):]:
            node = processor.traverse(node)
        return node

    _patches.set(validators.UpdateExpressionValidator, "validate", validate)


def _traverse_once_per_map() -> None:
    import abc

    from moto.dynamodb.parsing import ast_nodes, validators

    base = ast_nodes.DepthFirstTraverser
    original = base.traverse
    own = ("traverse", "traverse_node_recursively", "nodes_to_be_processed", "process")
    known = frozenset(c for c in vars(validators).values()
                      if isinstance(c, type) and issubclass(c, base) and c is not base
                      and c.__module__ == validators.__name__ and "_processing_map" in vars(c)
                      and not any(name in vars(c) for name in own))
    maps = {c: vars(c)["_processing_map"] for c in known}  # moto's own: the same classes every time
    node_type = ast_nodes.Node
    no_hook = base.pre_processing_of_child
    answers: dict[Any, dict] = {}  # per processor class: per type, (is a Node, is one of the processed kinds)
    token = [abc.get_cache_token()]  # isinstance's answers for ABCs hold until an ABC registers a class

    def traverse(self, node):
        cls = type(self)
        if cls not in known or cls._processing_map is not maps[cls] \
                or any(getattr(cls, name) is not getattr(base, name) for name in own[1:]):
            return original(self, node)
        processing = self._processing_map()
        kinds = tuple(processing)
        hook = None if cls.pre_processing_of_child is no_hook else self.pre_processing_of_child
        if abc.get_cache_token() != token[0]:
            answers.clear()
            token[0] = abc.get_cache_token()
        known_types = answers.get((cls, kinds))
        if known_types is None:
            known_types = answers[(cls, kinds)] = {}

        def answer_for(node):
            kind = type(node)
            answer = known_types.get(kind)
            if answer is None or node.__class__ is not kind:
                answer = (isinstance(node, node_type), isinstance(node, kinds))
                if node.__class__ is kind:
                    known_types[kind] = answer
            return answer

        def walk(node, child_id, answer):
            # traverse_node_recursively, for a node (what is not a Node it hands back as it is)
            parent_node = node.parent
            if node.children is not None:
                for i, child_node in enumerate(node.children):
                    if hook is not None:
                        hook(node, i)
                    child_answer = answer_for(child_node)
                    if child_answer[0]:
                        walk(child_node, i, child_answer)
            if answer[1]:
                for class_key, processor in processing.items():
                    if isinstance(node, class_key):
                        node = processor(node)
                        break
                else:
                    node = None
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
            return node

        answer = answer_for(node)
        return walk(node, -1, answer) if answer[0] else node

    _patches.set(base, "traverse", traverse)


def _cache_condition_parses() -> None:
    from moto.dynamodb import comparisons

    parser = comparisons.ConditionExpressionParser
    original = parser.parse

    class Slot:
        __slots__ = ("values", "name")

        def __init__(self, values: bool, name: Any) -> None:
            self.values, self.name = values, name

    class Recorder(parser):
        """Parses with every placeholder left unresolved, and stops before the operators are built."""

        def __init__(self, expression: str) -> None:
            super().__init__(expression, None, None)
            self.slots: list[Slot] = []
            self.tree = None

        def _lookup_expression_attribute_value(self, name):
            self.slots.append(Slot(True, name))
            return self.slots[-1]

        def _lookup_expression_attribute_name(self, name):
            self.slots.append(Slot(False, name))
            return self.slots[-1]

        def _make_op_condition(self, node):
            self.tree = node
            return None

    templates: dict[str, Any] = {}

    def template(expression: str) -> Any:
        recorder = Recorder(expression)
        try:
            recorder.parse()
        except Exception:  # noqa: BLE001 - moto's own parse raises it, worded as it words it
            return False
        if recorder.tree is None:
            return False
        slotted: set[int] = set()

        def mark(node: Any) -> bool:
            found = isinstance(node.value, Slot)
            for child in node.children:
                found = mark(child) or found
            if found:
                slotted.add(id(node))
            return found

        mark(recorder.tree)
        return (recorder.tree, tuple(recorder.slots), frozenset(slotted), tuple(recorder.expr_attr_names_found),
                tuple(recorder.expr_attr_values_found))

    def parse(self):
        expression = self.condition_expression
        if type(self) is not parser or type(expression) is not str or not expression:
            return original(self)
        kept = templates.get(expression)
        if kept is None:
            if len(templates) >= KEPT_MAX:
                templates.clear()
            kept = templates[expression] = template(expression)
        if kept is False:
            return original(self)
        tree, slots, slotted, names_found, values_found = kept
        resolved = {}
        for slot in slots:  # the lookups the parse makes, in its order: a missing one fails as it fails there
            if slot.values:
                resolved[slot] = self._lookup_expression_attribute_value(slot.name)
            else:
                resolved[slot] = self._lookup_expression_attribute_name(slot.name)

        def fill(node: Any) -> Any:
            if id(node) not in slotted:
                return node
            value = resolved[node.value] if isinstance(node.value, Slot) else node.value
            return node._replace(value=value, children=[fill(child) for child in node.children])

        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return self._make_op_condition(fill(tree))

    _patches.set(parser, "parse", parse)


def _pick_structure_members_inline() -> None:
    from moto.core import serialize, utils

    json_base = serialize.BaseJSONSerializer
    base = serialize.ResponseSerializer
    original = json_base.__dict__["_serialize_type_structure"]
    picker = serialize.XFormedAttributePicker
    defaults = serialize.DEFAULT_ALIAS_PROVIDERS
    moto_missing = utils.MISSING
    moto_get_value = utils.get_value
    import operator

    methods = operator.attrgetter("get_value", "_serialize_structure_member", "_serialize", "_serialize_type_string",
                                  "_default_serialize", "get_serialized_name")
    fast_get_value = base.get_value
    alias_keys = getattr(fast_get_value, "alias_keys", None)  # the candidate keys _cache_alias_keys keeps
    expected = (fast_get_value, base._serialize_structure_member, base._serialize, json_base._serialize_type_string,
                base._default_serialize, base.get_serialized_name)
    plans: dict[Any, tuple] = {}

    def plan_for(shape: Any) -> tuple | None:
        """Per member, its candidate keys, serialized name and whether it is a string; and which
        members a dict key can be a candidate of (None when a candidate is a dotted path)."""
        members = []
        index: dict[str, list[int]] | None = {}
        for position, (member_key, member_shape) in enumerate(shape.members.items()):
            keys = alias_keys.get((member_key, member_shape, shape))
            if keys is None:
                return None
            members.append((member_key, member_shape, keys, member_shape.serialization.get("name", member_key),
                            member_shape.type_name == "string"))
            for possible_key in keys:
                if "." in possible_key:
                    index = None
                elif index is not None:
                    index.setdefault(possible_key, []).append(position)
        return tuple(members), tuple(m[1] for m in members), index

    def _serialize_type_structure(self, serialized, value, shape, key):
        cls = type(self)
        value_picker = self._value_picker
        if type(value) is not dict or alias_keys is None or shape.is_document_type \
                or type(value_picker) is not picker or value_picker.alias_providers is not defaults \
                or value_picker.response_transformers or methods(cls) != expected:
            return original(self, serialized, value, shape, key)
        plan = plans.get(shape)  # botocore shapes hash by identity, and their members never change
        if plan is None:
            original(self, serialized, value, shape, key)  # fills the candidate keys
            plan = plan_for(shape)
            if plan is not None:
                if len(plans) >= KEPT_MAX:
                    plans.clear()
                plans[shape] = plan
            return None
        members, member_shapes, index = plan
        for member_shape in member_shapes:  # as the original sets it on every member
            member_shape.parent = shape
        # only the members one of the dict's keys is a candidate of can have a value
        positions = present_positions(value, len(members), index)
        wrapper = self.MAP_TYPE() if key else serialized
        for position in positions:
            member_key, member_shape, keys, name, is_string = members[position]
            member_value = first_present(value, keys, moto_get_value, moto_missing)
            if member_value is None:
                continue
            if is_string and type(member_value) is str:
                wrapper[name] = member_value  # what _serialize_type_string makes of a plain str
            else:
                self._serialize(wrapper, member_value, member_shape, member_key)
        if key:
            self._default_serialize(serialized, wrapper, shape, key)
        return None

    _patches.set(json_base, "_serialize_type_structure", _serialize_type_structure)


def _parse_present_members_only() -> None:
    from moto.core import parse

    json_base = parse.BaseJSONParser
    original = json_base._parse_structure
    plans: dict[Any, tuple] = {}

    def plan_for(shape: Any) -> tuple:
        members = tuple((name, member.serialization.get("name", name), member)
                        for name, member in shape.members.items())
        index: dict[Any, list[int]] = {}
        for position, (_name, json_name, _member) in enumerate(members):
            index.setdefault(json_name, []).append(position)
        return members, index

    def _parse_structure(self, shape, value):
        if type(value) is not dict or shape.is_document_type:
            return original(self, shape, value)
        plan = plans.get(shape)
        if plan is None:
            if len(plans) >= KEPT_MAX:
                plans.clear()
            plan = plans[shape] = plan_for(shape)
        members, index = plan
        final_parsed = self.MAP_TYPE()
        # a member whose name the dict lacks gets None: skipped
        positions = present_positions(value, len(members), index)
        for position in positions:
            name, json_name, member = members[position]
            raw_value = value.get(json_name)
            if raw_value is not None:
                final_parsed[name] = self._parse_shape(member, raw_value)
        return final_parsed

    _patches.set(json_base, "_parse_structure", _parse_structure)


def _size_scalars_directly() -> None:
    from moto.dynamodb.models import dynamo_type, utilities

    dynamo = dynamo_type.DynamoType
    limited = dynamo_type.LimitedSizeDict
    original_size = dynamo.size
    original_setitem = limited.__setitem__
    too_large = dynamo_type.ItemSizeTooLarge
    kinds = ("size", "is_number", "is_set", "is_list", "is_map")
    own = tuple(getattr(dynamo, name) for name in kinds)
    plain_bytesize = utilities.bytesize
    nested = ("SS", "NS", "BS", "L", "M")

    def __setitem__(self, key, value):
        if type(self) is not limited or dynamo_type.bytesize is not plain_bytesize \
                or any(getattr(dynamo, name) is not function for name, function in zip(kinds, own)):
            return original_setitem(self, key, value)
        current_item_size = 0
        for item in list(self.keys()) + list(self.values()):
            if type(item) is not dynamo:
                text = str(item)
                current_item_size += len(text if isinstance(text, bytes) else text.encode("utf-8"))
                continue
            # DynamoType.size, for the scalar types
            kind = item.type
            if kind == "N":
                current_item_size += len(str(item.value))
            elif kind in nested:
                current_item_size += original_size(item)
            else:
                scalar = item.value
                if isinstance(scalar, bool):
                    current_item_size += 1
                else:
                    current_item_size += len(scalar if isinstance(scalar, bytes) else scalar.encode("utf-8"))
        new_item_size = plain_bytesize(key) + (value.size() if type(value) is dynamo
                                               else plain_bytesize(str(value)))
        if (current_item_size + new_item_size) > 405000:
            raise too_large
        dict.__setitem__(self, key, value)
        return None

    _patches.set(limited, "__setitem__", __setitem__)


def _reserved_words_as_set() -> None:
    from moto.dynamodb import comparisons
    from moto.dynamodb.parsing import reserved_keywords, validators

    words = reserved_keywords.ReservedKeywords
    kept: list[Any] = [None, -1, frozenset()]  # moto's list (it never changes it), its length, as a set

    def reserved(attribute: Any) -> bool | None:
        """``attribute.upper() in the list``, by hashing; None when that would not be the same."""
        word = attribute.upper()  # evaluated first, as in ``attribute.upper() in ...``
        keywords = words.get_reserved_keywords()
        if type(keywords) is not list or type(word) is not str:
            return None
        if keywords is not kept[0] or len(keywords) != kept[1]:
            if not all(type(k) is str for k in keywords):
                return None
            kept[:] = [keywords, len(keywords), frozenset(keywords)]
        return word in kept[2]

    for owner, error in ((validators.ExpressionPathResolver, validators.AttributeIsReservedKeyword),
                         (comparisons.ConditionExpressionParser, comparisons.ConditionAttributeIsReservedKeyword)):
        original = owner.__dict__["raise_exception_if_keyword"].__func__

        def raise_exception_if_keyword(cls, attribute, original=original, error=error, owner=owner):
            found = reserved(attribute) if cls is owner else None
            if found is None:
                return original(cls, attribute)
            if found:
                raise error(attribute)
            return None

        _patches.set(owner, "raise_exception_if_keyword", classmethod(raise_exception_if_keyword))


def _plain_results_directly() -> None:
    from moto.dynamodb import responses
    from moto.dynamodb.models import dynamo_type, utilities

    original = utilities.dynamo_to_dict
    dynamo = dynamo_type.DynamoType
    as_is = frozenset({str, int, float, bool, bytes, type(None)})  # no to_json, not a datetime, dict or list

    def dynamo_to_dict(obj):
        kind = type(obj)
        if kind in as_is:
            return obj
        if kind is dict:
            return {k: dynamo_to_dict(v) for k, v in obj.items()}
        if kind is list:
            return [dynamo_to_dict(item) for item in obj]
        if kind is dynamo and obj.type not in ("B", "BS"):
            return {obj.type: dynamo_to_dict(obj.value)}
        return original(obj)

    _patches.set(responses, "dynamo_to_dict", dynamo_to_dict)


def _copy_items_directly() -> None:
    from moto.dynamodb.models import dynamo_type

    dynamo, item_class, limited = dynamo_type.DynamoType, dynamo_type.Item, dynamo_type.LimitedSizeDict
    original_item = item_class.__deepcopy__
    own = (dynamo.__deepcopy__, dynamo.is_list, dynamo.is_map, dynamo.is_set)
    nil: list = []

    def keep_alive(x: Any, memo: dict) -> None:  # copy._keep_alive
        try:
            memo[id(memo)].append(x)
        except KeyError:
            memo[id(memo)] = [x]

    def copied(x: Any, memo: dict) -> Any:
        """copy.deepcopy(x, memo), for a DynamoType by its own __deepcopy__ without the dispatch."""
        if type(x) is not dynamo:
            return copy.deepcopy(x, memo)
        d = id(x)
        y = memo.get(d, nil)
        if y is not nil:
            return y
        result = dynamo.__new__(dynamo)
        memo[d] = result
        result.type = kind = x.type
        if kind == "L":
            result.value = [copied(v, memo) for v in x.value]
        elif kind == "M":
            result.value = {k: copied(v, memo) for k, v in x.value.items()}
        elif kind in ("SS", "NS", "BS"):
            result.value = list(x.value)
        else:
            result.value = x.value
        memo[d] = result
        keep_alive(x, memo)
        return result

    def __deepcopy__(self, memo):
        if type(self) is not item_class or (dynamo.__deepcopy__, dynamo.is_list, dynamo.is_map, dynamo.is_set) != own:
            return original_item(self, memo)
        if id(self) in memo:
            return memo[id(self)]
        result = item_class.__new__(item_class)
        memo[id(self)] = result
        result.hash_key = copied(self.hash_key, memo)
        result.range_key = copied(self.range_key, memo)
        attrs_copy = limited.__new__(limited)
        dict.__init__(attrs_copy)
        for key, value in self.attrs.items():
            dict.__setitem__(attrs_copy, key, copied(value, memo))
        result.attrs = attrs_copy
        return result

    _patches.set(item_class, "__deepcopy__", __deepcopy__)

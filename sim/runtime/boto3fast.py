"""Cheaper boto3 resources, with the same results (the boto3 side of ``sim.runtime.botofast``).

* The resource class: ``boto3.resource("dynamodb")`` and each ``.Table(name)``
  build a new class with ``type()`` (about 60% of what a resource costs):
  boto3's ``ResourceFactory.load_from_definition`` wraps the resource JSON in a
  ``ResourceModel``, makes a property per attribute of the resource's shape and
  a method per action, then emits ``creating-resource-class.<service>.<name>``
  so that handlers add base classes and attributes (boto3's own add the
  DynamoDB high-level interface and ``Table`` methods, S3's transfer methods).
  The class is a function of the factory (its closures call it back), the
  resource's name and JSON definition (the loader's cached dicts), the service
  context (its service model, shared per service by ``botofast``, the JSON of
  every resource of the service, and a waiter model that names a session,
  service and API version) and the handlers that event reaches. For the same
  factory and inputs, with every one of those handlers botocore's or boto3's
  own (they only add base classes or attributes), the class built the first
  time is the class boto3 would build, and is reused; instances are new
  objects as before (each copies the class's ``meta``). Any other handler or
  input type builds a class as boto3 does. As for shared client classes, a
  change made to such a class itself (not to an instance) is seen by later
  resources of that session, and botocore's debug lines for the event are
  only logged when a class is built.

Installed and removed by ``botofast.install()`` / ``botofast.uninstall()``.
"""

from __future__ import annotations

from sim.runtime.patching import Patches

_patches = Patches()


def install() -> None:
    """Idempotent."""
    if _patches.active:
        return
    _share_resource_classes()


def uninstall() -> None:
    _patches.undo()


def _share_resource_classes() -> None:
    from boto3 import utils as boto3_utils
    from boto3.resources import factory as resource_factory
    from boto3.resources.collection import CollectionFactory
    from botocore import hooks

    from sim.runtime import botofast

    factory_cls = resource_factory.ResourceFactory
    original = factory_cls.load_from_definition
    logger = resource_factory.logger
    classes: dict[tuple, tuple] = {}

    def load_from_definition(self, resource_name, single_resource_json_definition, service_context):
        emitter = self._emitter
        waiter_model = getattr(service_context, "service_waiter_model", None)
        if type(self) is not factory_cls or type(service_context) is not boto3_utils.ServiceContext \
                or type(emitter) is not hooks.EventAliaser or type(emitter._emitter) is not hooks.HierarchicalEmitter \
                or type(waiter_model) is not boto3_utils.LazyLoadedWaiterModel \
                or type(self._collection_factory) is not CollectionFactory \
                or type(resource_name) is not str or type(service_context.service_name) is not str:
            return original(self, resource_name, single_resource_json_definition, service_context)
        service_name = service_context.service_name
        cls_name = f"{service_name}.{'ServiceResource' if service_name == resource_name else resource_name}"
        event = emitter._alias_event_name(f"creating-resource-class.{cls_name}")  # what emit looks up
        handlers = tuple(emitter._emitter._handlers.prefix_search(event))
        if not all(botofast.library_handler(h) for h in handlers):
            return original(self, resource_name, single_resource_json_definition, service_context)
        held = (self, single_resource_json_definition, service_context.service_model,
                service_context.resource_json_definitions, waiter_model._session)
        key = (resource_name, service_name, waiter_model._service_name, waiter_model._api_version,
               tuple(id(x) for x in held), tuple(id(h) for h in handlers))
        hit = classes.get(key)
        # the entry holds what its key names by id, so no id is reused while it lives
        if hit is None or any(a is not b for a, b in zip(hit[0], held)) or hit[1] != handlers:
            if len(classes) >= botofast.CLASSES_MAX:
                classes.clear()
            hit = (held, handlers, original(self, resource_name, single_resource_json_definition, service_context))
            classes[key] = hit
        else:
            logger.debug("Loading %s:%s", service_name, resource_name)  # as the build does
        return hit[2]

    _patches.set(factory_cls, "load_from_definition", load_from_definition)

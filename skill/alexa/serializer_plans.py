"""What FastSerializer works out once per ASK SDK model class, instead of on every call.

The SDK's DefaultSerializer reads a model class's ``attribute_map`` and ``deserialized_types`` and
imports classes by name each time it meets them; a plan holds the result of that reflection, in the
SDK's own order, so decoding and encoding a model is a loop over a tuple (see serializer.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer

# Type strings without a module are looked up in the SDK serializer's own module, as it does.
SDK_SERIALIZER_MODULE = DefaultSerializer.__module__
# Declared types whose JSON values of exactly that class the parent returns unchanged (t(x) is x).
PRIMITIVES_BY_NAME: dict[Any, type] = {"str": str, "int": int, "long": int, "float": float, "bool": bool}


@dataclass(frozen=True)
class ModelPlan:
    """How to decode one model class: its fields in the SDK's order, and which JSON keys it knows."""

    model_class: type
    # The class's own attribute_map, live, and its size when planned. The SDK's serialize adds keys to
    # a class's map when an instance carries its own deserialized_types; a grown map means re-plan.
    attribute_map: dict[str, str]
    map_size: int
    # (attribute, JSON key, declared type, the primitive class whose values pass unchanged or None)
    fields: tuple[tuple[str, str, Any, type | None], ...]
    known_keys: frozenset[str]  # JSON keys that are fields; any other key becomes a raw attribute
    undecodable_keys: frozenset[str]  # mapped keys without a declared type: the SDK fails on them


@dataclass(frozen=True)
class EncodingPlan:
    """How to encode one model class: (attribute, JSON key) in ``deserialized_types`` order."""

    fields: tuple[tuple[str, str], ...]


def load_class(class_name: str) -> Any:
    """Resolve a class name the way the parent's private __load_class_from_name does."""
    module_and_class = class_name.rsplit(".", 1)
    if len(module_and_class) > 1:
        module = __import__(module_and_class[0], fromlist=[module_and_class[1]])
        return getattr(module, module_and_class[1])
    return getattr(sys.modules[SDK_SERIALIZER_MODULE], module_and_class[0])


def merged_attribute_map(model_class: Any) -> dict[str, str]:
    """The parent's key map: attribute_map plus an identity entry for each other declared type.

    The parent updates the class's own attribute_map in place on every call; doing the same
    update here leaves the class exactly as the parent would.
    """
    attribute_map = getattr(model_class, "attribute_map", {})
    declared_types = model_class.deserialized_types
    attribute_map.update({name: name for name in declared_types.keys() if name not in attribute_map})
    return attribute_map


def model_plan(model_class: Any) -> ModelPlan:
    """Compile how the parent decodes model_class (after any discriminator has picked it)."""
    declared_types = model_class.deserialized_types
    attribute_map = merged_attribute_map(model_class)
    fields = tuple(
        (attribute, key, declared_types[attribute], PRIMITIVES_BY_NAME.get(declared_types[attribute]))
        for attribute, key in attribute_map.items()
        if attribute in declared_types
    )
    undecodable = frozenset(key for attribute, key in attribute_map.items() if attribute not in declared_types)
    return ModelPlan(model_class, attribute_map, len(attribute_map), fields, frozenset(attribute_map.values()),
                      undecodable)


def encoding_plan(model_class: Any) -> EncodingPlan:
    """Compile how the parent encodes instances of model_class."""
    declared_types = model_class.deserialized_types
    attribute_map = merged_attribute_map(model_class)
    fields = tuple((attribute, attribute_map[attribute]) for attribute in declared_types)
    if len({key for _, key in fields}) != len(fields):
        # Two attributes sharing a JSON key: the parent's intermediate dict decides which wins.
        raise ValueError(f"{model_class.__name__} maps two attributes to one key")
    return EncodingPlan(fields)

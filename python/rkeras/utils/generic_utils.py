"""Serialization helpers shared by every ``get()`` (initializers, activations, losses, ...).

Objects are serialized in Keras 2's format: a function by its name (``'relu'``), an object with
``get_config`` as ``{'class_name': ..., 'config': {...}}``. Keras 3's richer dicts (with
``module`` and ``registered_name``) are accepted when deserializing.

Custom objects are found, innermost first, in the active :class:`CustomObjectScope` s, the
``custom_objects`` argument, the global registry (:func:`get_custom_objects`, filled by
:func:`register_keras_serializable`), and finally the module's own names.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping, Optional

_GLOBAL_CUSTOM_OBJECTS: dict = {}
_GLOBAL_CUSTOM_NAMES: dict = {}
_local = threading.local()


def _scopes() -> list:
    if not hasattr(_local, "scopes"):
        _local.scopes = []
    return _local.scopes


class CustomObjectScope:
    """Makes custom objects visible to deserialization by name inside a ``with`` block.

    >>> from rkeras import activations
    >>> from rkeras.utils.generic_utils import custom_object_scope
    >>> def my_act(x):
    ...     return x * 2.0
    >>> with custom_object_scope({"my_act": my_act}):
    ...     activations.get("my_act") is my_act
    True
    """

    def __init__(self, *args: Optional[Mapping[str, Any]]) -> None:
        self.custom_objects: dict = {}
        for objects in args:
            if objects:
                self.custom_objects.update(objects)

    def __enter__(self) -> "CustomObjectScope":
        _scopes().append(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _scopes().pop()


custom_object_scope = CustomObjectScope


def get_custom_objects() -> dict:
    """The global dict of custom objects (name -> object); it may be edited in place.

    >>> from rkeras.utils.generic_utils import get_custom_objects
    >>> isinstance(get_custom_objects(), dict)
    True
    """
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom",
                                name: Optional[str] = None) -> Callable[[Any], Any]:
    """Decorator registering a class or function as ``'package>name'`` for deserialization.

    >>> from rkeras.utils.generic_utils import register_keras_serializable, get_registered_name
    >>> @register_keras_serializable(package="Demo")
    ... def twice(x):
    ...     return x * 2.0
    >>> get_registered_name(twice)
    'Demo>twice'
    """

    def decorator(arg: Any) -> Any:
        class_name = name if name is not None else arg.__name__
        registered_name = f"{package}>{class_name}"
        if isinstance(arg, type) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj: Any) -> str:
    """The name `obj` is registered under, else its ``__name__`` (or class name).

    >>> from rkeras.utils.generic_utils import get_registered_name
    >>> get_registered_name(len)
    'len'
    """
    try:
        if obj in _GLOBAL_CUSTOM_NAMES:
            return _GLOBAL_CUSTOM_NAMES[obj]
    except TypeError:  # unhashable
        pass
    if hasattr(obj, "__name__"):
        return obj.__name__
    return type(obj).__name__


def get_registered_object(name: str, custom_objects: Optional[Mapping[str, Any]] = None,
                          module_objects: Optional[Mapping[str, Any]] = None) -> Any:
    """The object named `name`: from active scopes, `custom_objects`, the global registry, then
    `module_objects`; ``None`` when it is nowhere.

    >>> from rkeras.utils.generic_utils import get_registered_object
    >>> get_registered_object("abs", module_objects={"abs": abs}) is abs
    True
    >>> get_registered_object("nothing") is None
    True
    """
    for scope in reversed(_scopes()):
        if name in scope:
            return scope[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def serialize_keras_object(instance: Any) -> Any:
    """Keras 2's serialization: ``None``, a name for functions and classes, or
    ``{'class_name': ..., 'config': ...}`` for objects with ``get_config``.

    >>> from rkeras.utils.generic_utils import serialize_keras_object
    >>> serialize_keras_object(len)
    'len'
    """
    if instance is None:
        return None
    if hasattr(instance, "get_config") and not isinstance(instance, type):
        return {"class_name": get_registered_name(type(instance)),
                "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance!r} since it doesn't implement `get_config()`.")


def unknown_object_error(printable_module_name: str, name: Any,
                         module_objects: Optional[Mapping[str, Any]] = None) -> ValueError:
    """The ``ValueError`` for a name nothing is registered under (Keras 2's wording, plus the
    valid names).

    >>> from rkeras.utils.generic_utils import unknown_object_error
    >>> print(unknown_object_error("loss function", "foo", {"mse": 1, "mae": 2}))
    ... # doctest: +ELLIPSIS
    Unknown loss function: 'foo'. Please ensure ... Valid names are: ['mae', 'mse'].
    """
    message = (f"Unknown {printable_module_name}: {name!r}. Please ensure you are using a "
               "`keras.utils.custom_object_scope` and that this object is included in the "
               "scope (or is passed in `custom_objects`).")
    if module_objects:
        names = sorted(k for k in module_objects if not k.startswith("_"))
        message += f" Valid names are: {names}."
    return ValueError(message)


def _class_and_config(identifier: Mapping[str, Any], printable_module_name: str) -> tuple:
    if "class_name" not in identifier or "config" not in identifier:
        raise ValueError(f"Improper config format for {printable_module_name}: {identifier!r}. "
                         "Expected a dict with keys 'class_name' and 'config'.")
    class_name = identifier["class_name"]
    config = identifier["config"]
    if class_name == "function":  # Keras 3 writes functions as {'class_name': 'function', ...}
        return identifier.get("registered_name") or config, None
    registered = identifier.get("registered_name")
    return (registered if registered else class_name), config


def deserialize_keras_object(identifier: Any, module_objects: Optional[Mapping[str, Any]] = None,
                             custom_objects: Optional[Mapping[str, Any]] = None,
                             printable_module_name: str = "object") -> Any:
    """Turns a name or ``{'class_name', 'config'}`` dict back into an object.

    A dict builds an instance with ``cls.from_config(config)`` (or ``cls(**config)``); a string
    returns the named object itself (functions and classes are not called).

    >>> from rkeras.utils.generic_utils import deserialize_keras_object
    >>> class Scale:
    ...     def __init__(self, k=1.0):
    ...         self.k = k
    ...     def get_config(self):
    ...         return {"k": self.k}
    >>> obj = deserialize_keras_object({"class_name": "Scale", "config": {"k": 3.0}},
    ...                                module_objects={"Scale": Scale})
    >>> obj.k
    3.0
    """
    if identifier is None:
        return None
    if isinstance(identifier, Mapping):
        name, config = _class_and_config(identifier, printable_module_name)
        cls = get_registered_object(name, custom_objects, module_objects)
        if cls is None and isinstance(name, str) and ">" in name:
            cls = get_registered_object(name.split(">")[-1], custom_objects, module_objects)
        if cls is None:
            raise unknown_object_error(printable_module_name, name, module_objects)
        if config is None:
            return cls
        with CustomObjectScope(custom_objects or {}):
            if hasattr(cls, "from_config"):
                return cls.from_config(dict(config))
            return cls(**dict(config))
    if isinstance(identifier, str):
        obj = get_registered_object(identifier, custom_objects, module_objects)
        if obj is None:
            raise unknown_object_error(printable_module_name, identifier, module_objects)
        return obj
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier!r}")


__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "register_keras_serializable",
    "serialize_keras_object",
]

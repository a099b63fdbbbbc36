"""Records: what ``@dataclasses.dataclass`` gave this package's core types, without importing
``dataclasses``.

``import dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``): ~7 ms,
and each decorated class costs ~0.1-0.3 ms more, about the budget of a blocked commit's imports
(issue 14). A record is declared like a dataclass (type checkers see one, through
``dataclass_transform``) and gets an ``__init__`` (a generic one for the class's first
instances, then one compiled for it, as fast as a dataclass's), ``__repr__``, ``__eq__``,
``__hash__`` and immutability when frozen, :func:`replace` and :func:`fields`; it pickles and
copies as a plain object.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> object:  # only type checkers need the real one
        return lambda decorated: decorated


_FIELDS = "__record_fields__"
_MISSING: Any = object()


class Field:
    """One declared field: its default (or factory), whether ``repr`` shows it, and whether
    :func:`binance_guard.report.sanitize.strings` must leave it ``raw`` (a finding's secret)."""

    __slots__ = ("default", "factory", "name", "raw", "repr")

    def __init__(
        self, default: Any, factory: Callable[[], Any] | None, repr: bool, raw: bool
    ) -> None:
        self.name = ""
        self.default, self.factory, self.repr, self.raw = default, factory, repr, raw


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    repr: bool = True,
    raw: bool = False,
) -> Any:
    """As ``dataclasses.field``; ``raw``: see :class:`Field`."""
    return Field(default, default_factory, repr, raw)


class FrozenError(AttributeError):
    """Assigning to a field of a frozen record."""


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise FrozenError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")


def _frozen_delattr(self: object, name: str) -> None:
    raise FrozenError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")


def _values(self: object) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in fields(self))


def _eq(self: object, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # NotImplemented's type is Any
    return _values(self) == _values(other)


def _hash(self: object) -> int:
    return hash(_values(self))


def _repr(self: object) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
    return f"{type(self).__qualname__}({shown})"


# Instances a class builds through :func:`_first_init` before its own ``__init__`` is
# compiled: compiling costs ~0.2 ms a class, and a blocked commit builds a few instances of
# each of about ten classes (6 % of its time), a history scan thousands.
COMPILE_AFTER = 32
_built: dict[type, int] = {}


def _first_init(self: object, *args: Any, **kwargs: Any) -> None:
    """Bind the arguments to the fields here, a few times slower than a compiled
    ``__init__``; once the class has built COMPILE_AFTER instances, compile that."""
    cls = type(self)
    specs = fields(cls)
    built = _built.get(cls, 0)
    if built >= COMPILE_AFTER:
        init = _init(specs)
        setattr(cls, "__init__", init)  # noqa: B010 (mypy refuses assigning to a method)
        init(self, *args, **kwargs)
        return
    _built[cls] = built + 1
    if len(args) > len(specs):
        raise TypeError(f"__init__() takes {len(specs) + 1} positional arguments")
    values = self.__dict__
    for spec, value in zip(specs, args, strict=False):
        values[spec.name] = value
    for spec in specs[len(args) :]:
        if spec.name in kwargs:
            values[spec.name] = kwargs.pop(spec.name)
        elif spec.factory is not None:
            values[spec.name] = spec.factory()
        elif spec.default is not _MISSING:
            values[spec.name] = spec.default
        else:
            raise TypeError(f"__init__() missing required argument: '{spec.name}'")
    if kwargs:
        raise TypeError(
            f"__init__() got an unexpected or repeated argument: {next(iter(kwargs))!r}"
        )


def _init(specs: tuple[Field, ...]) -> Callable[..., None]:
    """``__init__`` taking the fields in order, compiled as dataclasses does: instances are
    built as fast as a dataclass's (the scanner builds many)."""
    namespace: dict[str, Any] = {"MISSING": _MISSING}
    params, lines = ["self"], []
    for spec in specs:
        name, value = spec.name, spec.name
        if spec.factory is not None:
            namespace[f"factory_{name}"] = spec.factory
            params.append(f"{name}=MISSING")
            value = f"factory_{name}() if {name} is MISSING else {name}"
        elif spec.default is not _MISSING:
            namespace[f"default_{name}"] = spec.default
            params.append(f"{name}=default_{name}")
        else:
            params.append(name)
        lines.append(f"    self.__dict__[{name!r}] = {value}\n")
    exec(f"def __init__({', '.join(params)}):\n{''.join(lines)}", namespace)
    init: Callable[..., None] = namespace["__init__"]
    return init


@dataclass_transform(field_specifiers=(field,))
def record(*, frozen: bool = False) -> Callable[[type[T]], type[T]]:
    """The class decorator: ``@record()`` or ``@record(frozen=True)``."""

    def build(cls: type[T]) -> type[T]:
        # A base record's fields come first, as with dataclasses; redeclared ones keep their place.
        specs = list(getattr(cls, _FIELDS, ()))
        # Not inspect.get_annotations: importing inspect is what this module avoids.
        for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063
            value = cls.__dict__.get(name, _MISSING)
            spec = value if isinstance(value, Field) else Field(value, None, True, False)
            spec.name = name
            if isinstance(value, Field):  # the class attribute is the default, as dataclasses
                if value.default is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, value.default)
            inherited = [i for i, f in enumerate(specs) if f.name == name]
            if inherited:
                specs[inherited[0]] = spec
            else:
                specs.append(spec)
        methods: dict[str, Any] = {
            _FIELDS: tuple(specs),
            "__init__": _first_init,
            "__repr__": _repr,
            "__eq__": _eq,
            # Mutable records are unhashable, like dataclasses with eq and without frozen.
            "__hash__": _hash if frozen else None,
        }
        if frozen:
            methods.update(__setattr__=_frozen_setattr, __delattr__=_frozen_delattr)
        for name, method in methods.items():
            setattr(cls, name, method)
        return cls

    return build


def is_record(value: object) -> bool:
    """An instance of a record class (not the class itself)."""
    return hasattr(type(value), _FIELDS)


def fields(value: object) -> tuple[Field, ...]:
    """The declared fields of a record or record class, in order."""
    found: tuple[Field, ...] = getattr(value, _FIELDS)
    return found


def replace(value: T, **changes: Any) -> T:
    """A copy of the record ``value`` with ``changes``, as ``dataclasses.replace``."""
    current = {f.name: getattr(value, f.name) for f in fields(value)}
    return type(value)(**{**current, **changes})

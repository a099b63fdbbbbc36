"""Records behave as the dataclasses they replaced: init, defaults, equality, hashing,
immutability, repr, replace, pickling."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from binance_guard.finding import Confidence, Finding, Pair
from binance_guard.record import (
    COMPILE_AFTER,
    FrozenError,
    field,
    fields,
    is_record,
    record,
    replace,
)
from binance_guard.report import Report


@record()
class _Box:
    name: str
    items: list[str] = field(default_factory=list)
    size: int = 3


def test_defaults_and_factories_are_per_instance() -> None:
    first, second = _Box("a"), _Box("b", size=5)
    first.items.append("x")
    assert (first.items, second.items, first.size, second.size) == (["x"], [], 3, 5)
    assert _Box("c", ["y"], 1).items == ["y"]
    with pytest.raises(TypeError):
        _Box()  # type: ignore[call-arg]


def test_mutable_records_compare_by_value_and_are_unhashable() -> None:
    box = _Box("a")
    box.size = 4
    assert box == _Box("a", size=4) and box != _Box("a")
    with pytest.raises(TypeError):
        hash(box)
    assert repr(box) == "_Box(name='a', items=[], size=4)"


def _finding() -> Finding:
    pair = Pair(id="p", type="binance_secret_key", path="a.py", line=2, fingerprint="f")
    return Finding(
        type="binance_api_key",
        path="a.py",
        line=1,
        column=3,
        secret="s3cr3t-value",
        confidence=Confidence.HIGH,
        reasons=("why",),
        pair=pair,
    )


def test_frozen_records_hash_refuse_changes_and_hide_raw_fields() -> None:
    finding = _finding()
    assert finding == _finding() and hash(finding) == hash(_finding())
    with pytest.raises(FrozenError):
        finding.path = "b.py"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del finding.path
    assert "s3cr3t" not in repr(finding) and "path='a.py'" in repr(finding)
    assert [f.name for f in fields(finding) if f.raw] == ["secret"]


def test_replace_copies_with_changes() -> None:
    finding = _finding()
    moved = replace(finding, path="b.py")
    assert (moved.path, finding.path, moved.secret) == ("b.py", "a.py", finding.secret)
    with pytest.raises(TypeError):
        replace(finding, no_such_field=1)


def test_records_pickle_and_copy() -> None:
    finding, report = _finding(), Report(findings=[_finding()], files=2)
    assert pickle.loads(pickle.dumps(finding)) == finding
    assert pickle.loads(pickle.dumps(report)) == report
    assert copy.deepcopy(report) == report and copy.copy(finding) == finding
    assert is_record(finding) and not is_record(Finding) and not is_record("a.py")


@record(frozen=True)
class _Labelled(Pair):
    label: str = ""


def test_a_record_subclass_extends_its_base_fields() -> None:
    labelled = _Labelled("p", "binance_api_key", "a.py", 1, "f", label="x")
    assert [f.name for f in fields(labelled)][-2:] == ["fingerprint", "label"]
    assert (labelled.path, labelled.label) == ("a.py", "x")
    assert replace(labelled, label="y").label == "y" and labelled != Pair("p", "k", "a.py", 1, "f")


@record()
class _Counted:
    name: str
    items: list[str] = field(default_factory=list)
    size: int = 3


def _built_alike() -> None:
    plain, listed, sized = _Counted("a"), _Counted("b", ["x"]), _Counted(name="c", size=5)
    assert (plain.items, plain.size, listed.items, sized.size) == ([], 3, ["x"], 5)
    assert plain.items is not _Counted("d").items  # a factory's value each
    wrong: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {}),  # missing name
        (("a", [], 1, 2), {}),  # too many
        (("a",), {"name": "b"}),  # twice
        ((), {"name": "a", "colour": "red"}),  # unknown
    ]
    for args, kwargs in wrong:
        with pytest.raises(TypeError):
            _Counted(*args, **kwargs)


def test_instances_are_built_alike_before_and_after_init_is_compiled() -> None:
    """The first instances of a class bind their arguments without a compiled ``__init__``
    (compiling costs more than a blocked commit builds), the later ones through it."""
    assert _Counted.__init__.__name__ == "_first_init"
    _built_alike()
    for i in range(COMPILE_AFTER):
        _Counted(str(i))
    assert _Counted.__init__.__name__ == "__init__"
    _built_alike()

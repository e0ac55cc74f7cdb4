"""Type hints on every public function (issue 26, item 6).

Every parameter and every return of the public callables (``tests/_public_api.py``) is
annotated -- ``*args``/``**kwargs`` included (``Any`` where they pass options on) -- and the
package ships ``py.typed`` (PEP 561) as package data.
"""
from __future__ import annotations

import ast
import inspect
import tomllib
from pathlib import Path

import spatialflow
from _public_api import public_callables

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = public_callables()


def _function(obj):
    """The function whose signature a public callable has (a class: its own ``__init__``)."""
    if isinstance(obj, property):
        return obj.fget
    if inspect.isclass(obj):
        init = obj.__init__
        own = inspect.isfunction(init) and init.__module__.startswith("spatialflow")
        return init if own else None
    return obj


def _missing(func) -> list[str]:
    sig = inspect.signature(func)
    out = [p.name for p in sig.parameters.values()
           if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        out.append("return")
    return out


def test_every_public_callable_is_annotated():
    checked = {name: f for name, obj in PUBLIC.items() if (f := _function(obj)) is not None}
    assert len(checked) >= 120
    missing = {name: m for name, f in checked.items() if (m := _missing(f))}
    assert not missing, "\n".join(f"{name}: {m}" for name, m in missing.items())


def test_annotations_are_valid_expressions():
    # `from __future__ import annotations` keeps them as strings: a typo would pass silently
    invalid = []
    for name, obj in PUBLIC.items():
        func = _function(obj)
        if func is None:
            continue
        for key, text in func.__annotations__.items():
            if isinstance(text, str):
                try:
                    ast.parse(text, mode="eval")
                except SyntaxError:
                    invalid.append(f"{name}.{key}: {text!r}")
    assert not invalid, invalid


def test_the_check_catches_a_missing_annotation():
    def half(x: int, y) -> int:
        return x

    def none(x: int):
        return x

    assert _missing(half) == ["y"] and _missing(none) == ["return"]


def test_py_typed_is_shipped_as_package_data():
    assert (Path(spatialflow.__file__).parent / "py.typed").is_file()
    with open(ROOT / "pyproject.toml", "rb") as fh:
        config = tomllib.load(fh)
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["spatialflow"]

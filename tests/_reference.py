"""Readers for the reference cases kept under tests/reference/ (shared by the test modules)."""
from __future__ import annotations

from pathlib import Path

import libpysal


def read_kv(path: Path) -> dict[tuple[str, str, str], float]:
    """The ``KV <model> <quantity> <name> <value>`` lines an R reference script printed."""
    ref = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("KV "):
                _, model, quantity, name, value = line.split()
                ref[(model, quantity, name)] = float(value)
    return ref


def read_gal(path: Path, transform: str | None = "r") -> libpysal.weights.W:
    """A GAL neighbours file as a libpysal W (string ids), row-standardised by default."""
    gal = libpysal.io.open(str(path))
    try:
        w = gal.read()
    finally:
        gal.close()
    if transform:
        w.transform = transform
    return w

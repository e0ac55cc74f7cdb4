"""Shared fixtures: the Columbus reference case (R spatialreg 1.2.6, see reference/columbus)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _reference import read_gal

REFERENCE = Path(__file__).parent / "reference"
COLUMBUS = REFERENCE / "columbus"


@pytest.fixture(scope="session")
def columbus():
    """(data indexed by str id '1'..'49', row-standardised libpysal W with the same ids)."""
    df = pd.read_csv(COLUMBUS / "columbus_oldcol.csv", dtype={"id": str}).set_index("id")
    return df, read_gal(COLUMBUS / "columbus_oldcol.gal")

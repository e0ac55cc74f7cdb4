"""Export the census urbanisation growth regression and its weights for phillips/R checks.

Run from the repository root: ``python tests/reference/convergence/export_census.py``.
Writes census_urban_growth.csv (unit, growth 2010-2020 per year, log initial urban rate) and
census_queen_w.csv (focal, neighbor, weight: queen contiguity over the 116 comparable units,
Nan'ao linked to its nearest unit, row-standardised), the inputs of census_beta.R.
"""
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from spatialflow.datasets import load_guangdong_census, load_guangdong_census_units
from spatialflow.weights import build

HERE = Path(__file__).parent

df = load_guangdong_census(level="comparable")
wide = df.pivot(index="unit", columns="year", values="urban_rate")
out = pd.DataFrame({"unit": wide.index,
                    "growth": (np.log(wide[2020]) - np.log(wide[2010])) / 10,
                    "log_initial": np.log(wide[2010])})
out.to_csv(HERE / "census_urban_growth.csv", index=False, float_format="%.17g")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    w = build(load_guangdong_census_units(), kind="queen", islands="knn")
S = w.sparse.tocoo() if hasattr(w, "sparse") else None
ids = list(w.unique_ids) if hasattr(w, "unique_ids") else list(w.id_order)
pd.DataFrame({"focal": [ids[i] for i in S.row], "neighbor": [ids[j] for j in S.col],
              "weight": S.data}).to_csv(HERE / "census_queen_w.csv", index=False,
                                        float_format="%.17g")

"""Loaders of the R spflow reference cases in tests/reference/flows (see PROVENANCE.md)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import scipy.sparse as sp

REF = Path(__file__).parent / "reference" / "flows"
KEYS = {"ge": "ID_STATE", "usa": "ID_STATE", "paris": "ID_MUN"}
FORMULAS = {
    "ge": "y9 ~ O_(X) + D_(X) + I_(X) + P_(DISTANCE)",
    "usa": "y9 ~ O_(X) + D_(X) + I_(X) + P_(DISTANCE)",
    "paris": ("log(1 + COMMUTE_FLOW) ~ O_(log(POPULATION) + log(MED_INCOME)) + "
              "D_(log(NB_COMPANY) + log(MED_INCOME)) + I_(log(POPULATION)) + "
              "P_(log(1 + DISTANCE))"),
}


def load_case(tag: str):
    """(nodes, pairs, graph) of one example data set, as spflow holds them."""
    from libpysal.graph import Graph

    key = KEYS[tag]
    nodes = pd.read_csv(REF / f"{tag}_nodes.csv", index_col=0, dtype={key: str}).set_index(key)
    W = pd.read_csv(REF / f"{tag}_W.csv", index_col=0).to_numpy()
    graph = Graph.from_sparse(sp.csr_matrix(W), ids=nodes.index.to_numpy())
    pairs = pd.read_csv(REF / f"{tag}_pairs.csv", index_col=0,
                        dtype={"ID_ORIG": str, "ID_DEST": str})
    return nodes, pairs, graph


@lru_cache(maxsize=None)  # models are not changed by fit; parsing once keeps the tests fast
def model(tag: str, variant: str = "model_9"):
    from spatialflow.flows import FlowModel

    nodes, pairs, graph = load_case(tag)
    return FlowModel.from_formula(FORMULAS[tag], nodes, pairs, graph, model=variant,
                                  orig="ID_ORIG", dest="ID_DEST",
                                  missing="subset" if tag == "usa" else "raise")


def reference(tag: str, method: str, variant: str, order: int | None = None) -> pd.DataFrame:
    """spflow's estimates (``est``, ``sd``), its log-likelihood and run time (rows ``_llf``,
    ``_seconds``)."""
    name = f"fit_{tag}_{method}_{variant}{'' if order is None else f'_o{order}'}.csv"
    return pd.read_csv(REF / name, index_col=0)


def coefficients(ref: pd.DataFrame) -> pd.DataFrame:
    return ref.loc[~ref.index.str.startswith("_")]

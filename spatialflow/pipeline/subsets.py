"""Subsets said aloud: which units a run dropped, and which islands its weights linked.

A run may drop units (missing cells with ``missing = "drop-units"``, layer units absent from
the data with ``[layer] units = "data"``) and then build W on the units kept, where a unit
whose neighbours were all dropped becomes an island that the island policy links to its
nearest unit. Both change the model; both are listed here by code and name so that the run
can say them in stdout, ``weights_summary.csv``, the manifest and the report's notes.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from ._notes import note

__all__ = ["dropped_units", "island_links", "unit_label"]


def unit_label(layer, code) -> str:
    """``'440513 潮阳区'`` (the layer's Chinese, else English, name), else the code."""
    if code in layer.index:
        for col in ("name_zh", "name_en", "name"):
            if col in layer.columns and str(layer.at[code, col]) not in ("", "nan", "None"):
                return f"{code} {layer.at[code, col]}"
    return str(code)


def dropped_units(layer, kept, report: pd.DataFrame, *, policy: str) -> list:
    """Notes naming every unit of ``layer`` that is not in ``kept`` and why.

    ``report`` is the missing-cell report of
    :func:`~spatialflow.datasets.reader.handle_missing` (its ``"unit dropped"`` rows carry
    the number of missing cells).
    """
    gone = [c for c in layer.index if c not in set(kept)]
    if not gone:
        return []
    by_missing = {}
    if len(report):
        rows = report[report["action"] == "unit dropped"]
        by_missing = dict(zip(rows["id"], rows["value"]))
    missing = [f"{unit_label(layer, c)} ({int(by_missing[c])} cell(s))" for c in gone
               if c in by_missing]
    absent = [unit_label(layer, c) for c in gone if c not in by_missing]
    missing_zh = [f"{unit_label(layer, c)}（{int(by_missing[c])} 个单元格）" for c in gone
                  if c in by_missing]
    parts, parts_zh = [], []
    if missing:
        parts.append(f"{len(missing)} with missing cells (missing = \"{policy}\"): "
                     + ", ".join(missing))
        parts_zh.append(f"{len(missing)} 个有缺失单元格（missing = \"{policy}\"）："
                        + "、".join(missing_zh))
    if absent:
        parts.append(f"{len(absent)} not in the data (layer.units = \"data\"): "
                     + ", ".join(absent))
        parts_zh.append(f"{len(absent)} 个不在数据中（layer.units = \"data\"）："
                        + "、".join(absent))
    return [note(f"units dropped ({len(gone)} of {len(layer)}; W is built on the "
                 f"{len(layer) - len(gone)} kept): " + "; ".join(parts) + ".",
                 f"剔除的单元（共 {len(layer)} 个中的 {len(gone)} 个；W 基于保留的 "
                 f"{len(layer) - len(gone)} 个单元构建）：" + "；".join(parts_zh) + "。")]


def island_links(config, layer, weights: dict) -> dict:
    """For each weights specification with ``islands = "knn"``: the links the policy added.

    The weights are rebuilt with ``islands = "keep"`` to find the units without neighbours
    (an island of the layer such as Nan'ao, or a unit whose neighbours were all dropped); each
    one's neighbours in the built W are the links added. Returns ``{weights name: [(island,
    linked unit), ...]}`` (empty lists for specifications without islands).
    """
    from ..weights import build
    from ..weights.align import as_sparse

    out = {}
    for spec in config.weights:
        name = spec["name"]
        out[name] = []
        if spec["kind"] not in ("queen", "rook", "distance_band", "inverse_distance") \
                or spec["islands"] != "knn":
            continue
        options = {"transform": None, "islands": "keep"}
        for key in ("threshold_km", "power", "binary"):
            if spec[key] is not None:
                options[key] = spec[key]
        if spec["kind"] in ("distance_band", "inverse_distance"):
            options["project"] = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bare = build(layer, kind=spec["kind"], **options)
        ids = list(layer.index)
        bare_m = as_sparse(bare, ids)
        islands = np.flatnonzero(np.diff(bare_m.tocsr().indptr) == 0)
        if not len(islands):
            continue
        full = as_sparse(weights[name], ids).tocsr()
        for pos in islands:
            row = full.indices[full.indptr[pos]:full.indptr[pos + 1]]
            out[name] += [(ids[pos], ids[j]) for j in row if j != pos]
    return out


def island_notes(layer, links: dict) -> list:
    """One note per weights specification that linked islands, naming both ends."""
    notes = []
    for name, pairs in links.items():
        if pairs:
            shown = "; ".join(f"{unit_label(layer, a)} -> {unit_label(layer, b)}"
                              for a, b in pairs)
            notes.append(note(
                f"weights {name!r}: {len(pairs)} island link(s) added (islands = "
                f"\"knn\", units without neighbours among those kept linked to the "
                f"nearest unit by centroid, both directions): {shown}.",
                f"权重 {name!r}：添加了 {len(pairs)} 条孤岛连接（islands = \"knn\"：保留的单元中"
                f"没有邻居的单元按质心与最近的单元双向相连）：{shown}。"))
    return notes

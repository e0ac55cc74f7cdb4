"""Generate data/example_yearbook_synthetic.csv: a SYNTHETIC yearbook-like county panel.

The 124 real county-level units of Guangdong (codes and names from the embedded layer), years
2014-2023, with Chinese headers and units as a county statistical yearbook extract would have
them: raw factor-flow indicators per factor and direction, real output, investment,
employment, urban and rural per-capita disposable income. Every number is simulated (seeded);
the column 数据性质 says so on every row. A few cells are blank or "—" (not available), as in
yearbooks, to exercise the missing-cell policy.

Run from the repository root: ``python scripts/make_example_data.py`` (the output is a pure
function of SEED; the tests check that the shipped file is reproduced byte for byte).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20260510
YEARS = list(range(2014, 2024))
OUT = Path(__file__).resolve().parent.parent / "data" / "example_yearbook_synthetic.csv"
LABEL = "模拟数据（SYNTHETIC，非真实统计）"

#: (header, factor, direction, scale, loading on the latent flow, decimals)
INDICATORS = [
    ("返乡入乡创业人数（人）", "labour", "u2r", 800.0, 1.2, 0),
    ("下乡就业的城镇人员（人）", "labour", "u2r", 1500.0, 1.0, 0),
    ("农村劳动力转移就业人数（万人）", "labour", "r2u", 6.0, 1.0, 2),
    ("涉农贷款余额（万元）", "capital", "u2r", 3.0e5, 1.3, 0),
    ("财政农林水支出（万元）", "capital", "u2r", 6.0e4, 1.0, 0),
    ("农村居民储蓄存款余额（万元）", "capital", "r2u", 4.0e5, 1.1, 0),
    ("工商资本流转承包地面积（亩）", "land", "u2r", 9000.0, 1.2, 0),
    ("征收农村集体土地面积（公顷）", "land", "r2u", 150.0, 1.0, 1),
    ("增减挂钩节余指标交易面积（亩）", "land", "r2u", 300.0, 1.1, 0),
    ("科技特派员人数（人）", "technology", "u2r", 60.0, 1.1, 0),
    ("农业技术推广经费（万元）", "technology", "u2r", 900.0, 1.0, 0),
    ("农村科技成果向城镇转让数（项）", "technology", "r2u", 25.0, 1.0, 0),
]
FACTORS = ["labour", "capital", "land", "technology"]
#: Blank or dashed cells: (unit position, year, header, how it is written).
GAPS = [(7, 2017, "涉农贷款余额（万元）", ""), (31, 2019, "科技特派员人数（人）", "—"),
        (58, 2016, "农村居民人均可支配收入（元）", ""),
        (90, 2020, "固定资产投资（万元，2014年不变价）", "—"),
        (112, 2018, "征收农村集体土地面积（公顷）", "")]


def main(out: Path = OUT) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from spatialflow.datasets import load_guangdong_counties
    from spatialflow.weights import build
    from spatialflow.weights.align import as_sparse

    layer = load_guangdong_counties()
    ids = layer.index
    n, T = len(ids), len(YEARS)
    W = as_sparse(build(layer, kind="queen", islands="knn"), ids).toarray()
    rng = np.random.default_rng(SEED)
    core = layer["core"].to_numpy(bool)
    size = np.exp(rng.normal(0.0, 0.5, n) + 0.6 * core)        # county scale
    trend = np.linspace(0.0, 0.5, T)

    # Latent flow intensity per factor and direction: persistent county level (urban-to-rural
    # flows larger in the core, rural-to-urban larger in the periphery), trend, noise.
    latent = {}
    for f in FACTORS:
        for d, tilt in (("u2r", 0.4), ("r2u", -0.3)):
            level = rng.normal(0.0, 0.3, n) + tilt * core
            latent[(f, d)] = level[None, :] + trend[:, None] * (1 if d == "u2r" else 0.4) \
                + rng.normal(0.0, 0.15, (T, n))
    net = {f: latent[(f, "u2r")] - latent[(f, "r2u")] for f in FACTORS}

    # Production: log TFP responds to net inflows with spatial spillovers,
    # ln A_t = (I - 0.3 W)^{-1} (c + 0.15 net_labour + 0.10 net_capital + 0.05 net_land
    #          + 0.12 net_technology + county effect + year effect + e).
    A_inv = np.linalg.inv(np.eye(n) - 0.3 * W)
    mu = 0.25 * core + rng.normal(0, 0.1, n)
    coef = {"labour": 0.15, "capital": 0.10, "land": 0.05, "technology": 0.12}
    ln_a = np.stack([A_inv @ (sum(coef[f] * net[f][t] for f in FACTORS) + mu + 0.02 * t
                              + rng.normal(0, 0.03, n)) for t in range(T)])
    employment = size * 30.0 * np.exp(rng.normal(0, 0.05, (T, n)) + 0.01 * np.arange(T)[:, None])
    investment = size * 8.0e5 * np.exp(0.06 * np.arange(T)[:, None] + rng.normal(0, 0.1, (T, n)))
    delta, capital = 0.096, np.zeros((T, n))
    capital[0] = investment[0] / (0.08 + delta)
    for t in range(1, T):
        capital[t] = (1 - delta) * capital[t - 1] + investment[t]
    alpha = 0.4
    gdp = np.exp(ln_a) * capital ** alpha * (employment * 1.0e4) ** (1 - alpha) * 2.5

    # Incomes: the urban/rural ratio falls with net inflows (about 2.8 down to about 2.2).
    rural = 14000 * np.exp(0.07 * np.arange(T)[:, None] + 0.25 * core + rng.normal(0, 0.05, (T, n))
                           + 0.05 * (net["labour"] + net["capital"]))
    ratio = 2.6 - 0.03 * np.arange(T)[:, None] - 0.12 * core - 0.04 * (net["labour"] +
                                                                        net["capital"]) \
        + rng.normal(0, 0.04, (T, n))
    urban = rural * ratio

    rows = []
    for t, year in enumerate(YEARS):
        for i, code in enumerate(ids):
            row = {"地区代码": code, "地区名称": layer.loc[code, "name_zh"],
                   "所属地市": layer.loc[code, "city_zh"], "年份": year}
            for header, f, d, scale, load, dec in INDICATORS:
                v = scale * size[i] * np.exp(load * latent[(f, d)][t, i])
                row[header] = round(float(v), dec) if dec else int(round(float(v)))
            row["地区生产总值（万元，2014年不变价）"] = int(round(float(gdp[t, i])))
            row["固定资产投资（万元，2014年不变价）"] = int(round(float(investment[t, i])))
            row["年末从业人员（万人）"] = round(float(employment[t, i]), 2)
            row["城镇居民人均可支配收入（元）"] = int(round(float(urban[t, i])))
            row["农村居民人均可支配收入（元）"] = int(round(float(rural[t, i])))
            row["数据性质"] = LABEL
            rows.append(row)
    frame = pd.DataFrame(rows).astype(object)
    for pos, year, header, text in GAPS:
        mask = (frame["地区代码"] == ids[pos]) & (frame["年份"] == year)
        frame.loc[mask, header] = text
    frame = frame.sort_values(["地区代码", "年份"], kind="stable")
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
    return out


if __name__ == "__main__":
    path = main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {path}")

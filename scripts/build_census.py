"""Build the embedded 2010 and 2020 census tables of Guangdong's counties.

Reads the two county census workbooks compiled by Lei Dong (GitHub ``leiii/census``, MIT
licence; 6th census of 1 Nov 2010 and 7th census of 1 Nov 2020, county yearbook tables),
verifies their checksums, keeps the rows of Guangdong's county-level units, and writes into
``spatialflow/datasets/_data/``:

- ``guangdong_census.parquet``: one row per *source* row (a 2010 unit on its 2010 code, a
  2020 unit on its 2020 code) with the counts and published averages used by
  :func:`spatialflow.datasets.load_guangdong_census`, the comparable unit of each row and,
  where the row maps onto exactly one of today's codes, that code;
- ``guangdong_census_crosswalk.csv``: every 2010 code -> 2020 code link with its type
  (same, rename, merge, split, transfer), the comparable unit and the source of the change;
- ``census_comparable.csv``: the counts aggregated to comparable units for both years (the
  input of the census example run, ``spatialflow run --example census``);
- ``LICENSE-census.txt``: the MIT notice of the compilation.

Run from the repository root with the workbooks in ``../shared/reference/census``:
``python scripts/build_census.py [SOURCE_FOLDER]``. The output is a pure function of the two
workbooks.
"""
from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "spatialflow" / "datasets" / "_data"


def find_shared(root: Path = ROOT) -> Path | None:
    """The ``shared/reference`` folder beside the repository (or beside one of its parents:
    a worktree may sit one level deeper than the main checkout), or None."""
    for parent in [root, *root.parents][1:4]:
        candidate = parent / "shared" / "reference"
        if candidate.is_dir():
            return candidate
    return None


DEFAULT_SOURCE = (find_shared() or ROOT.parent / "shared" / "reference") / "census"

#: file -> (sha256, git blob id, source commit of the file in leiii/census)
FILES = {
    "census_county_2010_v1.xlsx": (
        "fccd3f094d1c8b7e404c8453add123826c53bc44cb85c65f6406d8e61f3f5d0b",
        "e33f87ff72ac9b2733ea684a017b47a64635d869", "fe45ae6"),
    "census_county_2020_v1.xlsx": (
        "04d37df90d4e358c13aac85a76051caab12afa84eca8a3b4f58cf2227ce69f43",
        "60b5d50b93ebc226696546dd3596d1a3f576ac73", "719d9be"),
}
REPO_COMMIT = "0ba0f1efae092f4aa6569ef38e53b3bb4d2f0087"

#: our name -> (2010 column(s), 2020 column(s)); a list is summed (men + women).
COLUMNS = {
    "pop": ("合计", "人口数_合计"),
    "urban_pop": ("城镇人口", "城镇人口"),
    "family_hh_pop": ("人口数", "家庭户人口数"),
    "inflow_same_county": ("迁入人口（人）-本县（市）/\n本市市区", "户口登记地在外乡镇街道人口_本县"),
    "inflow_other_county": ("迁入人口（人）-本省其他县\n（市）、市区",
                            "户口登记地在外乡镇街道人口_本省其他县"),
    "inflow_other_province": ("迁入人口（人）-外省", "户口登记地在外乡镇街道人口_省外"),
    "edu_none": (["未上过学-男", "未上过学-女"], ["未上过学_男", "未上过学_女"]),
    "edu_preschool": (None, ["学前教育_男", "学前教育_女"]),
    "edu_primary": (["小学-男", "小学-女"], ["小学_男", "小学_女"]),
    "edu_junior": (["初中-男", "初中-女"], ["初中_男", "初中_女"]),
    "edu_senior": (["高中-男", "高中-女"], ["高中_男", "高中_女"]),
    "edu_college": (["大学专科-男", "大学专科-女"], ["大学专科_男", "大学专科_女"]),
    "edu_bachelor": (["大学本科及以上-男", "大学本科及以上-女"], ["本科及以上_男", "本科及以上_女"]),
    "share_65plus_published": ("65岁及以上（%）", "人口比重_65岁及以上"),
    "occupied": ("各种职业人口\n总计", "各种职业人口总计"),
    "occ_prof_tech": ("专业技术人员", "专业技术人员"),
    "occ_agri": ("农、林、牧、\n渔、水利业\n生产人员", "农林牧渔业生产及辅助人员"),
    "employed": ("各种行业人口\n总计", "各种行业人口总计"),
    "ind_agri": ("农林牧渔业", "农林牧渔业"),
    "floor_area_pp_published": ("人均住房\n建筑面积\n（平方米/人）", "人均住房建筑面积"),
    "schooling_years_published": ("平均受教育年限（年）-合计", "平均受教育年限_合计"),
}

# ----------------------------------------------------------------------------- boundary changes
#: Sources of the changes (checked while building this table; see data/README.md).
SOURCES = {
    "gz2012": "Panyu's Dagang, Lanhe and Dongchong towns transferred to Nansha from "
              "1 Dec 2012 (State Council approval of the Nansha New Area; Wen Wei Po, "
              "2 Dec 2012, http://paper.wenweipo.com/2012/12/02/CH1212020023.htm)",
    "gz2014": "State Council approval of Feb 2014 adjusting Guangzhou: Huangpu and Luogang "
              "abolished, new Huangpu with both areas; county-level cities Conghua and "
              "Zengcheng became districts with unchanged areas (also docs: DOMAIN.md)",
    "sz2016": "State Council approval of 11 Oct 2016 (in force 7 Jan 2017): Longhua "
              "district = the Guanhu, Guanlan, Fucheng, Longhua, Minzhi and Dalang sub-"
              "districts of Bao'an (zh.wikipedia 'Longhua District (Shenzhen)'); Pingshan "
              "district = the former Pingshan new area of Longgang (leiii/census SOURCES "
              "note: Shenzhen's new districts split from Bao'an and Longgang)",
    "sz2018": "State Council approval of 2018: Guangming district = the former Guangming new "
              "area of Bao'an (leiii/census SOURCES note, as above)",
    "mm2014": "Guo Han [2014] No. 12 (25 Jan 2014): Maogang district and Dianbai county "
              "abolished, Dianbai district with both areas; Sep 2017: Yangjiao town of "
              "Dianbai transferred to Maonan (wikiwand 'Dianbai District')",
    "mz2013": "State Council approval of Oct 2013: Meixian county became Meixian district "
              "with the county's area (China News Service, 8 Dec 2013, "
              "http://tp.hkcd.com/content_p/2013-12/10/content_2064.html)",
    "zq2015": "Guo Han [2015] No. 76: county-level city Gaoyao became Gaoyao district with "
              "its area",
    "yj2014": "State Council approval of 20 Oct 2014: Yangdong county became Yangdong "
              "district with the county's area",
    "qy2012": "Guo Han [2012] No. 192 (15 Nov 2012): Qingxin county became Qingxin district "
              "(list of 2012 county-level changes, zh.wikipedia)",
    "cz2013": "State Council approval of 2013: Chao'an county became Chao'an district; "
              "Linxi, Guantang and Tiepu towns of Chao'an transferred to Xiangqiao "
              "(28 Jun 2013)",
    "jy2012": "Guo Han [2012] No. 207 (17 Dec 2012): Jiedong county became Jiedong "
              "district; Pandong sub-district of Rongcheng to Jiedong; Didu, Paotai and "
              "Denggang towns of Jiedong to Rongcheng (list of 2012 county-level changes, "
              "zh.wikipedia)",
    "yf2014": "State Council approval of 9 Sep 2014: Yun'an county became Yun'an district; "
              "Duyang town of Yuncheng to Yun'an; Qianfeng and Nansheng towns of Yun'an to "
              "Yuncheng (Baidu Baike 'Yun'an District')",
}

#: 2010 code -> [(2020 code, type, source key)]; codes not listed are unchanged.
CHANGES = {
    "440116": [("440112", "merge", "gz2014")],
    "440112": [("440112", "merge", "gz2014")],
    "440184": [("440117", "rename", "gz2014")],
    "440183": [("440118", "rename", "gz2014")],
    "440113": [("440113", "transfer", "gz2012"), ("440115", "transfer", "gz2012")],
    "440115": [("440115", "transfer", "gz2012")],
    "440306": [("440306", "split", "sz2016"), ("440309", "split", "sz2016"),
               ("440311", "split", "sz2018")],
    "440307": [("440307", "split", "sz2016"), ("440310", "split", "sz2016")],
    "440903": [("440904", "merge", "mm2014")],
    "440923": [("440904", "merge", "mm2014"), ("440902", "transfer", "mm2014")],
    "440902": [("440902", "transfer", "mm2014")],
    "441421": [("441403", "rename", "mz2013")],
    "441283": [("441204", "rename", "zq2015")],
    "441723": [("441704", "rename", "yj2014")],
    "441827": [("441803", "rename", "qy2012")],
    "445121": [("445103", "transfer", "cz2013"), ("445102", "transfer", "cz2013")],
    "445102": [("445102", "transfer", "cz2013")],
    "445221": [("445203", "transfer", "jy2012"), ("445202", "transfer", "jy2012")],
    "445202": [("445202", "transfer", "jy2012"), ("445203", "transfer", "jy2012")],
    "445323": [("445303", "transfer", "yf2014"), ("445302", "transfer", "yf2014")],
    "445302": [("445302", "transfer", "yf2014"), ("445303", "transfer", "yf2014")],
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_blob(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def verify(folder: Path) -> None:
    for name, (digest, blob, _) in FILES.items():
        path = folder / name
        if not path.exists():
            raise SystemExit(f"missing source file {path}")
        if sha256(path) != digest or git_blob(path) != blob:
            raise SystemExit(f"{path}: checksum differs from the recorded one; not the "
                             f"leiii/census file of commit {REPO_COMMIT}")


def _units(raw: pd.DataFrame, code_col: str, name_col: str) -> pd.DataFrame:
    """Guangdong's county-level rows: codes 44xxxx without province and prefecture rows,
    except Dongguan 441900 and Zhongshan 442000 (no county-level units)."""
    code = (raw[code_col].fillna("").astype(str).str.strip()
            .str.replace(r"\.0$", "", regex=True))
    keep = (code.str.match(r"^44\d{4}$") & (~code.str.endswith("00")
                                            | code.isin(["441900", "442000"])))
    out = raw.loc[keep].copy()
    out.insert(0, "source_code", code[keep].to_numpy())
    out.insert(1, "source_name", out[name_col].astype(str).str.strip().to_numpy())
    return out


def _extract(rows: pd.DataFrame, which: int) -> pd.DataFrame:
    out = rows[["source_code", "source_name"]].reset_index(drop=True)
    for name, cols in COLUMNS.items():
        cols = cols[which]
        if cols is None:
            out[name] = np.nan
            continue
        cols = cols if isinstance(cols, list) else [cols]
        values = sum(pd.to_numeric(rows[c], errors="raise").fillna(0.0 if len(cols) > 1
                                                                     else np.nan).to_numpy()
                     for c in cols)
        out[name] = values
    return out


def province_totals(folder: Path) -> dict:
    """The province rows' resident population, per year (the check of the sums)."""
    a = pd.read_excel(folder / "census_county_2010_v1.xlsx", dtype=str)
    b = pd.read_excel(folder / "census_county_2020_v1.xlsx", dtype=str)
    return {2010: int(a.loc[a["区划代码"] == "440000", "合计"].iloc[0]),
            2020: int(b.loc[b["区划代码"] == "440000", "人口数_合计"].iloc[0])}


def read_sources(folder: Path) -> pd.DataFrame:
    a = pd.read_excel(folder / "census_county_2010_v1.xlsx", dtype=str)
    b = pd.read_excel(folder / "census_county_2020_v1.xlsx", dtype=str)
    r10 = _extract(_units(a, "区划代码", "地区"), 0)
    r20 = _extract(_units(b, "区划代码", "区县"), 1)
    # 2010: urban districts have no rural population; all-urban units are blank there.
    r10.insert(0, "year", 2010)
    r20.insert(0, "year", 2020)
    return pd.concat([r10, r20], ignore_index=True)


def comparable_units(codes_2010, codes_2020) -> tuple[dict, pd.DataFrame]:
    """Union-find over the 2010 -> 2020 links: each connected set of codes is one unit."""
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x, y):
        parent[find(x)] = find(y)

    links = []
    for old in codes_2010:
        for new, kind, src in CHANGES.get(old, [(old, "same", None)]):
            if new not in set(codes_2020):
                raise SystemExit(f"crosswalk target {new} of {old} is not a 2020 code")
            links.append((old, new, kind, src))
            union(("2010", old), ("2020", new))
    for new in codes_2020:
        find(("2020", new))
    groups = {}
    for key in list(parent):
        groups.setdefault(find(key), []).append(key)
    unit_of = {}
    for members in groups.values():
        new_codes = sorted(c for y, c in members if y == "2020")
        old_codes = sorted(c for y, c in members if y == "2010")
        if not old_codes:
            raise SystemExit(f"2020 code(s) {new_codes} have no 2010 predecessor")
        label = "+".join(new_codes)
        for y, c in members:
            unit_of[(y, c)] = label
    table = pd.DataFrame(links, columns=["code_2010", "code_2020", "type", "source_key"])
    table["unit"] = [unit_of[("2020", c)] for c in table["code_2020"]]
    return unit_of, table


def build(folder: Path = DEFAULT_SOURCE, out: Path = OUT) -> dict:
    verify(folder)
    rows = read_sources(folder)
    c10 = rows.loc[rows["year"] == 2010, "source_code"].tolist()
    c20 = rows.loc[rows["year"] == 2020, "source_code"].tolist()
    unit_of, links = comparable_units(c10, c20)
    rows.insert(3, "unit", [unit_of[(str(y), c)] for y, c in zip(rows["year"],
                                                                     rows["source_code"])])
    # The 2020 code a row stands for: itself in 2020; in 2010 the one 2020 code of its
    # comparable unit when the unit has one (same, rename, merge), else none (split/transfer).
    single = {u for u in rows["unit"] if "+" not in u}
    rows.insert(3, "code", [c if y == 2020 else (u if u in single else None)
                            for y, c, u in zip(rows["year"], rows["source_code"], rows["unit"])])
    names10 = dict(zip(rows.loc[rows.year == 2010, "source_code"],
                       rows.loc[rows.year == 2010, "source_name"]))
    names20 = dict(zip(rows.loc[rows.year == 2020, "source_code"],
                       rows.loc[rows.year == 2020, "source_name"]))
    links.insert(1, "name_2010", links["code_2010"].map(names10))
    links.insert(3, "name_2020", links["code_2020"].map(names20))
    links["source"] = links["source_key"].map(SOURCES).fillna("")
    links = links.drop(columns="source_key")
    out.mkdir(parents=True, exist_ok=True)
    rows.to_parquet(out / "guangdong_census.parquet", index=False)
    links.to_csv(out / "guangdong_census_crosswalk.csv", index=False, lineterminator="\n")
    shutil.copyfile(folder / "LICENSE", out / "LICENSE-census.txt")
    sys.path.insert(0, str(ROOT))
    from spatialflow.datasets.census import comparable_counts
    comparable_counts(rows).to_csv(out / "census_comparable.csv", index=False,
                                   float_format="%.10g", lineterminator="\n")
    return {"rows": len(rows), "units": rows["unit"].nunique(), "links": len(links)}


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE))

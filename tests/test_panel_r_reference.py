r"""Static spatial panel estimators against R (spatialreg 1.2-6 / spdep 1.2-7), reference/panel.

Provenance
----------
``tests/reference/panel/panel.R`` (R 4.2.2, spdep 1.2-7, spatialreg 1.2-6, Matrix 1.5-3,
Debian bookworm), run as ``Rscript panel.R > panel_ref.txt``, simulated the data
(``set.seed(20261123)``, 7 x 7 queen lattice, n = 49, T = 6), wrote ``panel_sim.csv``,
``panel_sim_re.csv`` and ``panel_sim.gal`` and fitted everything on what it read back. splm is
not packaged for bookworm, so each panel estimator is the exact cross-sectional ML fit of
``lagsarlm`` / ``errorsarlm`` (``method="eigen"``) on transformed data (see the README's table):
within ML (unit-demeaned data, :math:`I_T\otimes W`), Lee and Yu's (2010) transformation
approach (:math:`F_T'\otimes I_n` or :math:`F_T'\otimes F_n'`, :math:`W^*=F_n'WF_n`), and
random effects by exact ML profiled over :math:`\phi=\theta^2` (``optimize``, tol 1e-12).
The raw console output ``panel_ref.txt`` is the authoritative reference: this module *parses
it* (no hand transcription), so every number compared below is the one R printed.
``test_parser_reads_known_values`` pins a few literals so that a parser fault cannot make the
comparisons vacuous.

Correspondence (R case -> spatialflow call; W row-standardised, ids the strings "1".."49"):

=========================================  ======================================================
``FE_SDM_individual_direct``               ``SDM(effects="unit").fit(bias_correction=None)``
``FE_SDM_individual_LeeYu``                ``SDM(effects="unit").fit(bias_correction="lee-yu")``
``FE_SDM_twoways_direct_perioddummies``    ``SDM(effects="twoway").fit(bias_correction=None)``
``FE_SDM_twoways_LeeYu``                   ``SDM(effects="twoway").fit(bias_correction="lee-yu")``
``FE_SDEM_individual_direct`` / ``LeeYu``  ``SDEM(effects="unit")``, None / "lee-yu"
``FE_SAR_`` / ``FE_SEM_individual_direct`` ``SAR`` / ``SEM`` (``y ~ x1 + x2``), unit, None
``REDATA_FE_SDM_individual_*``             as above on ``panel_sim_re.csv``
``REDATA_RE_SDM``                          ``SAR(effects="random")`` on ``y ~ x1 + x2 + W_x1 +
                                           W_x2`` with :math:`W_x=(I_T\otimes W)x` built here
                                           from the raw x (spatialflow's RE is SAR/SEM only;
                                           a SAR with the lags as regressors *is* the RE SDM)
LM sections                                ``panel_tests.panel_lm_tests`` on the OLS / SDM panel
                                           model with the same effects
=========================================  ======================================================

Not compared (different definitions): ``FE_SDM_twoways_direct_splmstyle`` lags the already
two-way-demeaned y (splm's ``spfeml`` convention); spatialflow's within estimator projects the
time effects out of :math:`(I_T\otimes W)y` too, which is R's ``perioddummies`` case (they
differ in the 3rd-4th digit). R's *full-information* RE standard errors of
:math:`\rho,\beta` (``optimHess`` including :math:`\phi`) and the Hausman statistic built on
them: spatialflow's RE covariance of :math:`\rho,\beta,\sigma^2` is conditional on
:math:`\hat\theta` (module docstring of ``spatialflow.models._estimation.panel``), so it is compared with
R's conditional ``lagsarlm`` covariance, and the Hausman formula with that covariance. The
standard error of :math:`\hat\phi` *is* comparable with R's full-information one: the
inverse curvature of the profile likelihood equals the :math:`\phi\phi` element of the
inverse full Hessian.

Tolerances (relative; R printed 12 significant digits, i.e. 5e-12 rounding, and the
``rho ... se ...`` and ``sigma2 ... logLik`` lines 15; the largest error observed in this
data is given for each):

- ``COEF_RTOL = 1e-6`` -- spatialreg's ``optimize`` stops at ``tol.opt =
  .Machine$double.eps^0.5`` (Brent: ~1.5e-8 (2|rho| + 2/3) absolute in rho), spatialflow's
  search much tighter, so R's frozen rho is off the maximiser of the same likelihood by up to
  ~3e-8; the betas inherit that times ``cov(beta, rho)/var(rho)``. Observed: rho 5.4e-8, betas
  1.2e-7 (two-way within ``W_x1``); cases where R's Brent happened to land closer agree to 1e-11.
- ``SIGMA2_RTOL = 1e-7`` -- sigma2 moves at first order with rho (observed 9.6e-9).
- ``SE_RTOL = 1e-6``, ``COV_RTOL = 1e-6`` -- the information matrix is smooth in rho, with
  1/(1 - rho) terms amplifying the rho offset a few times at rho ~ 0.87 (observed: SE 6.2e-8,
  covariance 1.2e-7, both FE SAR). Covariances are compared elementwise relative to
  :math:`\sqrt{V_{ii}V_{jj}}`, since some cross-covariances are ~1e-5 of the diagonal.
- ``LLF_RTOL = 1e-12`` -- the log-likelihood is stationary at the maximum, so a 3e-8 rho offset
  changes it by ~1e-13 absolute on ~400 (observed 2.2e-15).
- ``LM_RTOL``, ``LR_RTOL``, ``OLS_RTOL = 1e-10`` -- closed-form least-squares statistics and
  differences of stationary log-likelihoods, limited by R's 12-digit printing (observed 2.1e-12
  and 6.1e-13).
- ``PHI_RTOL = 1e-6`` -- RE :math:`\phi=\theta^2`: the profile likelihood is flat (curvature
  ~700), so both optimisers fix phi only to ~1e-8 absolute (observed 5.2e-8 relative).
- ``PHI_SE_RTOL = 2e-5`` -- R's ``optimHess`` changes by 4e-6 between step sizes 1e-5 and 1e-4
  (printed), spatialflow's central second difference of the profile is another finite
  difference (observed 6.9e-7).
- ``HAUSMAN_RTOL = 1e-5`` -- the statistic inverts :math:`V_{FE}-V_{RE}` (eigenvalue ratio ~14)
  and amplifies the 1e-7 agreement of its inputs (observed 3.4e-7).

Runs in about 1 s (``pytest tests/test_panel_r_reference.py``).
"""
from __future__ import annotations

import re
from pathlib import Path

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import HausmanWarning
from spatialflow.models.diagnostics import durbin_tests, hausman_test, panel_lm_tests

PANEL = Path(__file__).parent / "reference" / "panel"

# Justified in the module docstring (observed maxima there).
COEF_RTOL = 1e-6      # rho/lambda and betas (R's Brent tolerance on rho, ~1.5e-8)
SIGMA2_RTOL = 1e-7    # sigma2 (first order in rho)
SE_RTOL = 1e-6        # standard errors (smooth in rho)
COV_RTOL = 1e-6       # covariance elements, relative to sqrt(V_ii V_jj)
LLF_RTOL = 1e-12      # log-likelihood (stationary at the maximum; 15 digits printed)
LM_RTOL = 1e-10       # closed-form LM statistics (12 digits printed)
LR_RTOL = 1e-10       # LR statistics (differences of stationary log-likelihoods)
OLS_RTOL = 1e-10      # least-squares coefficients (12 digits printed)
PHI_RTOL = 1e-6       # RE phi = theta^2 (flat profile)
PHI_SE_RTOL = 2e-5    # SE of phi: two finite-difference curvatures (R's stable to 4e-6)
HAUSMAN_RTOL = 1e-5   # Hausman statistic (inverts V_FE - V_RE)

#: R names -> spatialflow names.
R_TO_SF = {"wx1": "W_x1", "wx2": "W_x2", "const": "Intercept", "(Intercept)": "Intercept"}
LM_ROWS = {"LMerr": "LM-error", "LMlag": "LM-lag", "RLMerr": "robust LM-error",
           "RLMlag": "robust LM-lag", "SARMA": "SARMA"}


# ------------------------------------------------------------------ parsing panel_ref.txt
def _is_float(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def _sections(text: str) -> dict:
    """``{title: [lines]}`` of the ``## title`` blocks of R's output."""
    out, title = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            out[title] = []
        elif line.startswith("#### "):
            title = None
        elif title is not None:
            out[title].append(line)
    return out


def _named_vector(lines: list, start: int) -> tuple[pd.Series, int]:
    """R's print of a named numeric vector: alternating name and value lines."""
    names, values, i = [], [], start
    while i + 1 < len(lines):
        keys, vals = lines[i].split(), lines[i + 1].split()
        if not keys or any(_is_float(k) for k in keys) or len(keys) != len(vals) \
                or not all(_is_float(v) for v in vals):
            break
        names += keys
        values += [float(v) for v in vals]
        i += 2
    return pd.Series(values, index=[R_TO_SF.get(k, k) for k in names], dtype=float), i


def _matrix(lines: list, start: int, names: set) -> pd.DataFrame:
    """R's print of a named matrix (columns wrapped into blocks)."""
    cols: list = []
    rows: dict = {}
    for line in lines[start:]:
        toks = line.split()
        if toks and all(t in names for t in toks):
            cols = toks
        elif toks and toks[0] in names and len(toks) == len(cols) + 1 \
                and all(_is_float(t) for t in toks[1:]):
            rows.setdefault(toks[0], {}).update(zip(cols, map(float, toks[1:])))
        else:
            break
    m = pd.DataFrame(rows).T
    m = m.loc[list(m.columns), list(m.columns)]
    return m.rename(index=R_TO_SF, columns=R_TO_SF)


def _fit_case(lines: list) -> dict:
    i = next(j for j, ln in enumerate(lines) if ln.startswith("coefficients"))
    coef, _ = _named_vector(lines, i + 1)
    i = next(j for j, ln in enumerate(lines) if ln.startswith("se ("))
    se, _ = _named_vector(lines, i + 1)
    sp_line = next(ln for ln in lines if re.match(r"^(rho|lambda) \S+ se \S+", ln)).split()
    s2 = re.search(r"sigma2 (\S+)\s+logLik (\S+)\s+nobs (\d+)", "\n".join(lines))
    i = next(j for j, ln in enumerate(lines) if ln.startswith("vcov ("))
    vcov = _matrix(lines, i + 1, set(coef.index) | {k for k, v in R_TO_SF.items()
                                                     if v in coef.index})
    sp_name = sp_line[0]
    se[sp_name] = float(sp_line[3])
    coef[sp_name] = float(sp_line[1])    # the 15-digit value
    return dict(coef=coef, se=se, sigma2=float(s2.group(1)), llf=float(s2.group(2)),
                nobs=int(s2.group(3)), vcov=vcov, spatial=sp_name, lines=lines)


def _lm_case(lines: list) -> pd.Series:
    stats = {}
    for ln in lines:
        m = re.match(r"^(\w+) stat (\S+) df", ln)
        if m:
            stats[LM_ROWS[m.group(1)]] = float(m.group(2))
    return pd.Series(stats)


@pytest.fixture(scope="module")
def ref():
    """Everything R printed, keyed by case name (the first word of each ``##`` title)."""
    text = (PANEL / "panel_ref.txt").read_text()
    out = {"text": text}
    for title, lines in _sections(text).items():
        if "LM" in title.split()[:2]:
            out[title.split("  ")[0].strip() + " | " + title.split("  ")[1].strip()] = \
                _lm_case(lines)
        elif title.startswith("non-spatial within OLS"):
            out["OLS_within_individual"] = _named_vector(lines, 0)[0]
        else:
            out[title.split()[0]] = _fit_case(lines)
    return out


# ------------------------------------------------------------------ data and fits
@pytest.fixture(scope="module")
def w():
    gal = libpysal.io.open(str(PANEL / "panel_sim.gal"))
    try:
        w = gal.read()
    finally:
        gal.close()
    w.transform = "r"
    return w


def _read(name: str) -> pd.DataFrame:
    # The GAL ids are the strings "1".."49": read the id column as strings to match.
    return pd.read_csv(PANEL / name, dtype={"id": str})


@pytest.fixture(scope="module")
def data():
    return _read("panel_sim.csv")


@pytest.fixture(scope="module")
def data_re():
    return _read("panel_sim_re.csv")


def _with_lags(df: pd.DataFrame, w) -> pd.DataFrame:
    """``W_x1``, ``W_x2`` = (I_T (x) W) x on the raw x, period by period, aligned by id."""
    out = df.copy()
    W = w.sparse
    for t, rows in df.groupby("time").groups.items():
        block = df.loc[rows].set_index("id").reindex(w.id_order)
        lagged = pd.DataFrame(W @ block[["x1", "x2"]].to_numpy(), index=block.index,
                              columns=["W_x1", "W_x2"])
        out.loc[rows, ["W_x1", "W_x2"]] = lagged.loc[df.loc[rows, "id"]].to_numpy()
    return out


def _fit(kind, df, w, effects, bc, formula="y ~ x1 + x2"):
    # R's lagsarlm / errorsarlm(method="eigen") report the expected information: like with
    # like (spatialflow's default is the observed one).
    return getattr(sf, kind).from_formula(formula, data=df, w=w, id="id", time="time",
                                          effects=effects).fit(bias_correction=bc,
                                                               information="expected")


#: R case -> (model kind, data set, effects, bias correction).
FE_CASES = {
    "FE_SDM_individual_direct": ("SDM", "sim", "unit", None),
    "FE_SDM_individual_LeeYu": ("SDM", "sim", "unit", "lee-yu"),
    "FE_SDM_twoways_direct_perioddummies": ("SDM", "sim", "twoway", None),
    "FE_SDM_twoways_LeeYu": ("SDM", "sim", "twoway", "lee-yu"),
    "FE_SDEM_individual_direct": ("SDEM", "sim", "unit", None),
    "FE_SDEM_individual_LeeYu": ("SDEM", "sim", "unit", "lee-yu"),
    "FE_SAR_individual_direct": ("SAR", "sim", "unit", None),
    "FE_SEM_individual_direct": ("SEM", "sim", "unit", None),
    "REDATA_FE_SDM_individual_direct": ("SDM", "re", "unit", None),
    "REDATA_FE_SDM_individual_LeeYu": ("SDM", "re", "unit", "lee-yu"),
}


@pytest.fixture(scope="module")
def fe_fits(data, data_re, w):
    sets = {"sim": data, "re": data_re}
    return {case: _fit(kind, sets[d], w, eff, bc)
            for case, (kind, d, eff, bc) in FE_CASES.items()}


@pytest.fixture(scope="module")
def re_fit(data_re, w):
    # spatialflow's random effects are SAR/SEM only; the RE SDM of R is the RE SAR with the
    # spatial lags of the raw regressors as ordinary columns (named like the SDM's lags).
    return _fit("SAR", _with_lags(data_re, w), w, "random", None,
                formula="y ~ x1 + x2 + W_x1 + W_x2")


def _assert_cov(got: pd.DataFrame, want: pd.DataFrame):
    names = list(want.index)
    g, r = got.loc[names, names].to_numpy(), want.to_numpy()
    scale = np.sqrt(np.outer(np.diag(r), np.diag(r)))
    np.testing.assert_array_less(np.abs(g - r) / scale, COV_RTOL)


# ------------------------------------------------------------------ tests
def test_parser_reads_known_values(ref):
    """The parsed reference holds the literals of panel_ref.txt (guards the parser)."""
    sdm = ref["FE_SDM_individual_direct"]
    assert sdm["coef"]["rho"] == 0.874013598898214
    assert sdm["se"]["W_x2"] == 0.1439339344284
    assert sdm["vcov"].loc["W_x1", "rho"] == -0.001160500515040
    assert sdm["vcov"].shape == (5, 5)
    assert sdm["llf"] == -420.411647856052 and sdm["nobs"] == 294
    tw = ref["FE_SDM_twoways_direct_perioddummies"]
    assert tw["vcov"].shape == (10, 10) and tw["vcov"].loc["td6", "td5"] == 0.034248122833152
    assert ref["REDATA_RE_SDM"]["coef"]["Intercept"] == -0.0551124342485
    assert ref["LM within individual | y ~ x1 + x2 - 1 (unit-demeaned)"]["SARMA"] \
        == 578.28645943
    assert len(ref["LM within twoways, period dummies | y ~ x1 + x2 + td2..td6 - 1 "
                   "(unit-demeaned)"]) == 5


@pytest.mark.parametrize("case", list(FE_CASES))
def test_fixed_effects_match_r(ref, fe_fits, case):
    """Coefficients, rho/lambda, SEs, vcov, sigma2 and logLik of each fixed-effects fit."""
    want, res = ref[case], fe_fits[case]
    names = [n for n in want["coef"].index if not n.startswith("td")]   # period dummies: nuisance
    assert sorted(res.params.index) == sorted(names)
    assert res.panel["nobs_effective"] == want["nobs"]
    np.testing.assert_allclose(res.params[names], want["coef"][names], rtol=COEF_RTOL)
    np.testing.assert_allclose(res.bse[names], want["se"][names], rtol=SE_RTOL)
    _assert_cov(res.cov, want["vcov"].loc[names, names])
    np.testing.assert_allclose(res.sigma2, want["sigma2"], rtol=SIGMA2_RTOL)
    np.testing.assert_allclose(res.llf, want["llf"], rtol=LLF_RTOL)


def test_lee_yu_unit_sigma2_is_rescaled_within(ref, fe_fits):
    """Unit effects: Lee-Yu sigma2 = T/(T-1) x within sigma2 (T = 6), in R and spatialflow."""
    for get in (lambda c: ref[c]["sigma2"], lambda c: fe_fits[c].sigma2):
        ratio = get("FE_SDM_individual_LeeYu") / get("FE_SDM_individual_direct")
        np.testing.assert_allclose(ratio, 6 / 5, rtol=1e-10)


def test_within_ols_matches_r(ref, data, w):
    """Non-spatial within OLS (unit effects, x and W x) = R's ``lm`` on unit-demeaned data."""
    res = sf.SLX.from_formula("y ~ x1 + x2", data=data, w=w, id="id", time="time",
                              effects="unit").fit(bias_correction=None)
    want = ref["OLS_within_individual"]
    assert sorted(res.params.index) == sorted(want.index)
    np.testing.assert_allclose(res.params[want.index], want, rtol=OLS_RTOL)


def test_two_way_within_is_not_the_splm_convention(ref, fe_fits):
    """spatialflow's two-way within ML projects the time effects out of (I_T (x) W) y (R's
    ``perioddummies`` case, matched above), not splm's lag of the demeaned y: the splm-style
    fit is a different estimator (rho differs by 2e-3 relative, logLik by 0.027), so the
    tolerances above do discriminate between the two conventions."""
    res, splm = fe_fits["FE_SDM_twoways_direct_perioddummies"], \
        ref["FE_SDM_twoways_direct_splmstyle"]
    assert abs(res.params["rho"] / splm["coef"]["rho"] - 1) > 1e3 * COEF_RTOL
    assert abs(res.llf / splm["llf"] - 1) > 1e6 * LLF_RTOL


def test_random_effects_sdm_matches_r(ref, re_fit):
    """RE SDM by exact ML: params, sigma2, phi, full log-likelihood, SEs conditional on phi."""
    want = ref["REDATA_RE_SDM"]
    names = list(want["coef"].index)
    assert sorted(re_fit.params.index) == sorted(names)
    np.testing.assert_allclose(re_fit.params[names], want["coef"][names], rtol=COEF_RTOL)
    np.testing.assert_allclose(re_fit.sigma2, want["sigma2"], rtol=SIGMA2_RTOL)
    phi = float(re.search(r"^phi \(theta\^2.*\) (\S+)", ref["text"], re.M).group(1))
    np.testing.assert_allclose(re_fit.extra["phi"], phi, rtol=PHI_RTOL)
    llf_full = float(re.search(r"^logLik_full (\S+)", ref["text"], re.M).group(1))
    np.testing.assert_allclose(re_fit.llf, llf_full, rtol=LLF_RTOL)
    # spatialflow's RE covariance is conditional on theta-hat: R's lagsarlm one at phi-hat.
    np.testing.assert_allclose(re_fit.bse[names], want["se"][names], rtol=SE_RTOL)
    _assert_cov(re_fit.cov, want["vcov"])


def test_random_effects_phi_se_matches_full_information(ref, re_fit):
    """SE of phi = theta^2: profile curvature (delta method 2 theta se_theta) vs optimHess."""
    lines = ref["REDATA_RE_SDM"]["lines"]
    i = next(j for j, ln in enumerate(lines) if ln.startswith("RE full-information SEs"))
    full_se, _ = _named_vector(lines, i + 1)
    theta = re_fit.extra["theta"]
    np.testing.assert_allclose(2 * theta * re_fit.extra["theta_std_error"], full_se["phi"],
                               rtol=PHI_SE_RTOL)


def test_durbin_lr_matches_r(ref, fe_fits):
    """LR SDM vs SAR and SDM vs SEM (unit effects, within ML), via panel_tests.durbin_tests."""
    want = {k: float(v) for k, v in re.findall(r"^LR (SDM vs S[AE][RM]) \(individual, direct\): "
                                               r"(\S+)", ref["text"], re.M)}
    assert sorted(want) == ["SDM vs SAR", "SDM vs SEM"]
    got = durbin_tests(fe_fits["FE_SDM_individual_direct"])["statistic"]
    for k, v in want.items():
        np.testing.assert_allclose(got[f"LR {k}"], v, rtol=LR_RTOL)
    # and the R fits themselves are the ones compared above
    np.testing.assert_allclose(
        2 * (ref["FE_SDM_individual_direct"]["llf"] - ref["FE_SAR_individual_direct"]["llf"]),
        want["SDM vs SAR"], rtol=1e-10)


#: LM section of panel_ref.txt -> (kind, data set, formula, effects).
LM_CASES = {
    "LM pooled OLS | y ~ 1 + x1 + x2": ("OLS", "sim", "y ~ x1 + x2", None),
    "LM within individual | y ~ x1 + x2 - 1 (unit-demeaned)": ("OLS", "sim", "y ~ x1 + x2",
                                                               "unit"),
    "LM within twoways, period dummies | y ~ x1 + x2 + td2..td6 - 1 (unit-demeaned)":
        ("OLS", "sim", "y ~ x1 + x2", "twoway"),
    "LM within individual | y ~ x1 + x2 + wx1 + wx2 - 1 (unit-demeaned)":
        ("SDM", "sim", "y ~ x1 + x2", "unit"),
    "REDATA LM pooled OLS | y ~ 1 + x1 + x2": ("OLS", "re", "y ~ x1 + x2", None),
    "REDATA LM within individual | y ~ x1 + x2 - 1 (unit-demeaned)":
        ("OLS", "re", "y ~ x1 + x2", "unit"),
}


@pytest.mark.parametrize("case", list(LM_CASES))
def test_panel_lm_tests_match_spdep(ref, data, data_re, w, case):
    """panel_lm_tests = spdep::lm.LMtests with I_T (x) W on the (within) OLS residuals.

    (R's ``splm-style`` two-way section lags the demeaned fit and is not spatialflow's
    convention; its LM-error equals the period-dummies one, the others differ.)
    """
    kind, d, formula, effects = LM_CASES[case]
    df = {"sim": data, "re": data_re}[d]
    model = getattr(sf, kind).from_formula(formula, data=df, w=w, id="id", time="time",
                                           effects=effects)
    got = panel_lm_tests(model)["statistic"]
    want = ref[case]
    assert len(want) == 5
    np.testing.assert_allclose(got[want.index], want, rtol=LM_RTOL)


def test_hausman_formula_with_conditional_re_covariance(ref, fe_fits, re_fit):
    r"""Hausman d'(V_FE - V_RE)^- d on (x1, x2, W_x1, W_x2, rho), REDATA.

    R's printed statistic (-2.275) uses the *full-information* V_RE (numerical Hessian incl.
    phi), which spatialflow does not estimate (its RE covariance is conditional on theta-hat),
    so that number is not comparable. What is comparable: the same formula with R's
    conditional ``lagsarlm`` covariance at phi-hat; the reference statistic is computed here
    from R's printed b_FE, V_FE (``REDATA_FE_SDM_individual_direct``) and b_RE, V_RE
    (``REDATA_RE_SDM``), and spatialflow's ``hausman_test`` on its own two fits must agree.
    Here V_FE - V_RE is negative definite with the conditional V_RE as well (all five
    eigenvalues < 0), so the statistic is negative (-4.827; p-value 1: uninformative).
    """
    fe_r, re_r = ref["REDATA_FE_SDM_individual_direct"], ref["REDATA_RE_SDM"]
    names = ["x1", "x2", "W_x1", "W_x2", "rho"]
    d = (fe_r["coef"][names] - re_r["coef"][names]).to_numpy()
    V = fe_r["vcov"].loc[names, names].to_numpy() - re_r["vcov"].loc[names, names].to_numpy()
    assert np.linalg.matrix_rank(V) == len(names)
    want = float(d @ np.linalg.solve(V, d))
    with pytest.warns(HausmanWarning, match="not positive definite"):
        got = hausman_test(fe_fits["REDATA_FE_SDM_individual_direct"], re_fit)
    assert got.df == len(names) and got.pvalue == 1.0
    np.testing.assert_allclose(got.statistic, want, rtol=HAUSMAN_RTOL)

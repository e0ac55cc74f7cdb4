"""The immutable, labelled results of a fitted spatial model."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from ..exceptions import InputError

__all__ = ["SpatialResults"]


def _read_only(obj):
    """A copy of a Series or DataFrame whose values cannot be assigned to."""
    values = np.array(obj.to_numpy(), copy=True)
    values.flags.writeable = False
    if isinstance(obj, pd.DataFrame):
        return pd.DataFrame(values, index=obj.index, columns=obj.columns, copy=False)
    return pd.Series(values, index=obj.index, name=obj.name, copy=False)


@dataclass(frozen=True, eq=False)
class SpatialResults:
    """Results of an OLS, SLX, SAR, SEM, SDM or SDEM fit (cross-section or panel).

    Every vector is a labelled pandas object: ``params`` holds ``Intercept``, the regressors,
    their lags ``W_<name>`` and ``rho`` (lag models) or ``lambda`` (error models); ``cov`` is
    the covariance of ``params``; ``cov_full`` adds ``sigma2``. Nothing here is mutated after
    construction: another covariance or inference method gives a new object.
    """

    kind: str
    params: pd.Series
    cov_full: pd.DataFrame
    sigma2: float
    llf: float
    nobs: int
    resid: pd.Series
    fitted: pd.Series
    ids: pd.Index
    W: sp.csr_matrix | None
    exog_names: list[str]
    lagged_names: list[str]
    spatial_param: str | None
    bounds: tuple[float, float] | None
    converged: bool
    model: Any = None
    endog_name: str = "y"
    use_t: bool = False
    df_resid: int | None = None
    information: str = "expected"
    at_bound: bool = False
    panel: dict | None = None
    regime_info: Any = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        # Immutable in fact, not only by convention: the labelled vectors are rebuilt on
        # read-only copies, so `res.params.iloc[0] = 1` raises instead of silently changing
        # what effects() and summary() compute later.
        for name in ("params", "cov_full", "resid", "fitted"):
            object.__setattr__(self, name, _read_only(getattr(self, name)))

    # ----------------------------------------------------------------- inference
    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of ``params`` (without sigma2)."""
        names = list(self.params.index)
        return self.cov_full.loc[names, names]

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index,
                         name="bse")

    @property
    def tvalues(self) -> pd.Series:
        return (self.params / self.bse).rename("tvalues")

    @property
    def pvalues(self) -> pd.Series:
        t = np.abs(self.tvalues.to_numpy())
        if self.use_t:
            p = 2 * stats.t.sf(t, self.df_resid)
        else:
            p = 2 * stats.norm.sf(t)
        return pd.Series(p, index=self.params.index, name="pvalues")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals with columns ``lower`` and ``upper``."""
        if not 0 < level < 1:
            raise InputError(f"level must be in (0, 1), e.g. 0.95; {level!r} was given.")
        q = (stats.t.ppf((1 + level) / 2, self.df_resid) if self.use_t
             else stats.norm.ppf((1 + level) / 2))
        half = q * self.bse
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    @property
    def cov_type(self) -> str:
        """The covariance behind ``cov``: ``"classic"``, ``"nonnormal"``, ``"cluster"``,
        ``"driscoll-kraay"`` (see :mod:`spatialflow.models.covariance`)."""
        return self.extra.get("cov_type", "classic")

    # ------------------------------------------------------------------ tests
    def wald_test(self, restrictions, r=None, *, name: str = "Wald"):
        """Wald test of linear restrictions, e.g. ``"INC = HOVAL, W_INC = 0"`` (see
        :mod:`spatialflow.models.inference`), with the covariance these results carry."""
        from .inference import wald_test
        return wald_test(self, restrictions, r, name=name)

    def t_test(self, restrictions, r=None, *, level: float = 0.95) -> pd.DataFrame:
        """One t/z test per linear restriction (estimate, std_error, statistic, p_value,
        lower, upper)."""
        from .inference import t_test
        return t_test(self, restrictions, r, level=level)

    def tidy(self, *, level: float = 0.95) -> pd.DataFrame:
        """Coefficient table as a plain frame: term, estimate, std_error, statistic,
        p_value, lower, upper."""
        from .inference import tidy
        return tidy(self, level=level)

    def pseudo_r2(self, *, predictor: str = "reduced") -> pd.Series:
        """Pseudo-R2: squared correlation of y and a predictor, and the variance ratio."""
        from .inference import pseudo_r2
        return pseudo_r2(self, predictor=predictor)

    # ------------------------------------------------------------ information criteria
    @property
    def k(self) -> int:
        """Number of estimated parameters, including rho/lambda and sigma2."""
        return len(self.params) + 1

    @property
    def aic(self) -> float:
        return -2.0 * self.llf + 2.0 * self.k

    @property
    def bic(self) -> float:
        return -2.0 * self.llf + np.log(self.nobs) * self.k

    @property
    def spatial(self) -> float | None:
        """The estimated rho or lambda (None for OLS and SLX)."""
        return None if self.spatial_param is None else float(self.params[self.spatial_param])

    # ------------------------------------------------------------------- effects
    def effects(self, n_draws: int = 1000, seed: int | None = 0, **kwargs) -> pd.DataFrame:
        """LeSage-Pace direct, indirect and total effects with inference.

        See :func:`spatialflow.models.effects.compute_effects` for all options (``method``,
        ``partition``, ``trace_method``, ``level``).
        """
        from .effects import compute_effects
        return compute_effects(self, n_draws=n_draws, seed=seed, **kwargs)

    def unit_effects(self, n_draws: int = 1000, seed: int | None = 0, **kwargs) -> pd.DataFrame:
        """Per-unit (e.g. per-county) total, direct and indirect effects, for mapping.

        Returns a long DataFrame with columns ``id``, ``variable``, ``direct``, ``indirect``,
        ``total``, their ``*_se`` and interval bounds ``*_lower``/``*_upper``. ``direction``
        chooses the effects received by each unit (row sums of :math:`S_k`, the default) or
        emitted by it (column sums). To map one regressor's effects on the county layer::

            u = res.unit_effects()
            counties.join(u[u["variable"] == "labour_flow"].set_index("id")).plot("total")

        See :func:`spatialflow.models.effects.compute_unit_effects` for all options.
        """
        from .effects import compute_unit_effects
        return compute_unit_effects(self, n_draws=n_draws, seed=seed, **kwargs)

    # --------------------------------------------------------------- prediction
    def predict(self, data: pd.DataFrame | None = None, *, type: str = "reduced") -> pd.Series:
        """In-sample predictions (``type`` = "reduced", "trend", "fitted", "bp") or the
        trend / reduced form at new regressors of the same units.

        See :func:`spatialflow.models.prediction.predict`.
        """
        from .prediction import predict
        return predict(self, data, type=type)

    def scenario(self, delta: pd.DataFrame, *, n_draws: int = 1000, seed: int | None = 0,
                 level: float = 0.95):
        """Change of every unit's expected outcome when chosen units' regressors change by
        ``delta`` (a frame by unit and variable), with simulated bands; ``.by(partition)``
        summarises it by group. See :func:`spatialflow.models.prediction.scenario`."""
        from .prediction import scenario
        return scenario(self, delta, n_draws=n_draws, seed=seed, level=level)

    # ------------------------------------------------------------------ summary
    def summary(self, **kwargs):
        """A :class:`~spatialflow.models.summary.Summary` with text/Markdown/LaTeX/HTML."""
        from .summary import make_summary
        return make_summary(self, **kwargs)

    def _repr_html_(self) -> str:
        return self.summary(include_effects=False).as_html()

    def __repr__(self) -> str:
        sp_txt = ("" if self.spatial_param is None
                  else f", {self.spatial_param}={self.spatial:.4f}")
        return (f"<SpatialResults {self.kind} n={self.nobs} k={len(self.params)}"
                f"{sp_txt}, logL={self.llf:.4f}>")

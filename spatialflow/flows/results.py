"""Results of a fitted flow model: labelled, read-only, with a summary."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from .._render import Block, Renderable, format_number, format_pvalue

if TYPE_CHECKING:
    from .effects import FlowEffects
    from .model import FlowModel

__all__ = ["FlowResults", "FlowSummary"]


class FlowSummary(Renderable):
    """Summary of a fitted flow model; renderers ``as_text``, ``as_markdown``, ``as_latex``,
    ``as_html`` (and ``_repr_html_``).

    Built by :meth:`FlowResults.summary`, not by users.

    Parameters
    ----------
    title : str
        The heading.
    blocks : iterable of Block
        The header block and the coefficient table.
    notes : iterable of str, default ()
        Notes printed under the tables (the formula, the method).
    """

    _css_class = "spatialflow-summary"

    def __init__(self, title: str, blocks: Iterable[Block], notes: Iterable[str] = ()) -> None:
        self.title = title
        self._blocks = tuple(blocks)
        self.notes = tuple(notes)
        self.warnings = ()


class FlowResults:
    """A fitted flow model; pandas attributes are fresh copies on every access.

    ``params`` holds ``rho_d``, ``rho_o``, ``rho_w`` (those of the variant; ``rho_od``,
    ``rho_odw`` for models 5 and 6) and then the coefficients, named as spflow names them
    (``(Intercept)``, ``(Intra)``, ``D_x``, ``D_x.lag1``, ``O_x``, ``I_x``, ``P_g``); ``bse``
    their standard errors (ML: analytic observed information; S2SLS, OLS: see
    :mod:`spatialflow.flows.estimation`); ``cov`` the labelled covariance; ``llf`` the
    log-likelihood (NaN for S2SLS); ``sigma2``; ``nobs`` the number of flows in the sample;
    ``rho`` the implied :math:`(\\rho_d, \\rho_o, \\rho_w)`.

    Built by :meth:`FlowModel.fit`, not by users.

    Parameters
    ----------
    model : FlowModel
        The fitted model.
    out : dict
        The estimator's output: ``names``, ``params``, ``cov``, ``sigma2``, ``llf``,
        ``rho_full``, ``n_free`` (and ``converged``, ``samples``, ``acceptance``).
    method : {"ml", "s2sls", "mcmc", "ols"}
        The estimation method used.
    """

    def __init__(self, model: FlowModel, out: dict, *, method: str) -> None:
        self.model = model
        self.method = method
        self._names = list(out["names"])
        self._params = np.asarray(out["params"], dtype=float)
        self._cov = np.asarray(out["cov"], dtype=float)
        self.sigma2 = float(out["sigma2"])
        self.llf = float(out["llf"])
        self.rho = np.asarray(out["rho_full"], dtype=float)  # (rho_d, rho_o, rho_w) implied
        self.nobs = int(model.data.n_pairs)
        self.df_model = int(out["n_free"])
        self.converged = bool(out.get("converged", True))
        self._samples = out.get("samples")
        self.acceptance = out.get("acceptance")

    @property
    def samples(self) -> pd.DataFrame | None:
        """MCMC only: the kept posterior draws (parameters and ``sigma2``), one row each."""
        if self._samples is None:
            return None
        return pd.DataFrame(self._samples.copy(), columns=self._names + ["sigma2"])

    @property
    def params(self) -> pd.Series:
        """The estimates: the autoregressive parameters first, then the coefficients."""
        return pd.Series(self._params.copy(), index=self._names, name="params")

    @property
    def cov(self) -> pd.DataFrame:
        """The covariance matrix of the estimates, labelled by parameter."""
        return pd.DataFrame(self._cov.copy(), index=self._names, columns=self._names)

    @property
    def bse(self) -> pd.Series:
        """The standard errors, the square roots of the diagonal of :attr:`cov`."""
        return pd.Series(np.sqrt(np.diag(self._cov)), index=self._names, name="bse")

    @property
    def tvalues(self) -> pd.Series:
        """The z statistics ``params / bse``."""
        return (self.params / self.bse).rename("tvalues")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of the z statistics under the standard normal."""
        return pd.Series(2 * stats.norm.sf(np.abs(self.tvalues.to_numpy())),
                         index=self._names, name="pvalues")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``params +- z bse`` with ``lower``/``upper`` columns.

        Parameters
        ----------
        level : float, default 0.95
            The coverage, in (0, 1); ``z`` is the normal quantile of ``0.5 + level / 2``.

        Returns
        -------
        pandas.DataFrame
            One row per parameter, columns ``lower`` and ``upper``.
        """
        if not 0 < level < 1:
            from ..exceptions import InputError
            raise InputError(f"level must be in (0, 1); {level!r} was given.")
        z = stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame({"lower": self.params - z * self.bse,
                             "upper": self.params + z * self.bse})

    @property
    def aic(self) -> float:
        """:math:`-2\\ell + 2k` with ``k`` the coefficients, the rho's and sigma2."""
        return -2 * self.llf + 2 * (self.df_model + 1)

    @property
    def bic(self) -> float:
        """:math:`-2\\ell + k \\log N` with ``k`` the coefficients, the rho's and sigma2."""
        return -2 * self.llf + np.log(self.nobs) * (self.df_model + 1)

    def summary(self) -> FlowSummary:
        """Header and coefficient table (no printing; render with ``str()`` or ``as_*``).

        Returns
        -------
        FlowSummary
            The header block, the coefficient table and notes.
        """
        d = self.model.data
        left = [("Model", self.model.variant.name), ("Method", self.method.upper()),
                ("Nodes", d.n), ("Flows (N)", self.nobs)]
        right = [("Design", "Cartesian" if d.is_cartesian else "non-Cartesian"),
                 ("Log-likelihood", self.llf), ("AIC", self.aic), ("sigma2", self.sigma2)]
        rows = []
        for i in range(max(len(left), len(right))):
            cells = []
            for side in (left, right):
                label, value = side[i] if i < len(side) else ("", None)
                cells += [f"{label}:" if label else "",
                          value if isinstance(value, str) else format_number(value)]
            rows.append(tuple(cells))
        header = Block(title="", columns=("", "", "", ""), rows=tuple(rows), show_header=False,
                       stretch=1, label_columns=(0, 2), kv_header=("Item", "Value"))
        ci = self.conf_int()
        coef_rows = tuple(
            (name, format_number(self.params[name]), format_number(self.bse[name]),
             format_number(self.tvalues[name]), format_pvalue(self.pvalues[name]),
             format_number(ci.loc[name, "lower"]), format_number(ci.loc[name, "upper"]))
            for name in self._names)
        coefs = Block(title="", columns=("", "coef", "std err", "z", "P>|z|", "[0.025",
                                         "0.975]"), rows=coef_rows)
        notes = [f"Formula: {self.model.formula_text}"]
        if self.method == "mcmc":
            notes.append(f"Posterior means and standard deviations of {len(self._samples)} "
                         f"MCMC draws (acceptance {self.acceptance:.2f}); flat priors.")
        if self.method == "ml":
            notes.append("Exact log-determinant from the eigenvalues of W; standard errors "
                         "from the analytic observed information.")
        return FlowSummary("Spatial interaction model of origin-destination flows",
                           [header, coefs], notes)

    def effects(self, variable: str, **options: Any) -> FlowEffects:
        """Origin, destination, intra-regional and network effects of a node characteristic.

        Parameters
        ----------
        variable : str
            A node characteristic as it appears in the formula (``"x"`` for ``O_x``,
            ``D_x``, ``I_x`` and their lags).
        **options : Any
            ``draws``, ``level``, ``seed``, ``groups``, passed to
            :func:`spatialflow.flows.effects.flow_effects`.

        Returns
        -------
        FlowEffects
            Average and node-level effects (see :func:`~spatialflow.flows.effects.flow_effects`).
        """
        from .effects import flow_effects

        return flow_effects(self, variable, **options)

    def __repr__(self) -> str:
        return (f"<FlowResults {self.model.variant.name} {self.method}: "
                f"{len(self._names)} parameters, N={self.nobs}>")

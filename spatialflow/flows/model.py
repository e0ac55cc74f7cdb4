"""The flow model: ``FlowModel.from_formula(...).fit(method=...)``.

.. math::

    y = \\rho_d W_d y + \\rho_o W_o y + \\rho_w W_w y + \\alpha \\iota + \\alpha_I \\iota_I
        + X_d \\beta_d + X_o \\beta_o + X_I \\beta_I
        + W X_d \\theta_d + W X_o \\theta_o + G \\gamma + \\varepsilon,
    \\qquad \\varepsilon \\sim N(0, \\sigma^2 I_N)

with :math:`W_d = I \\otimes W`, :math:`W_o = W \\otimes I`, :math:`W_w = W \\otimes W` on the
pairs ordered origin-major (LeSage & Pace 2008), restricted by one of the nine variants
(:mod:`.variants`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ..exceptions import FlowFormulaError, InputError, ModelSpecificationError
from .data import FlowData
from .design import (Design, SampleSums, Term, flow_lags, gram, intra_instruments, node_terms,
                     pair_instruments)
from .estimation import Moments, fit_ml, fit_ols, fit_s2sls
from .formula import FlowFormula, node_matrix, pair_matrices, parse_flow_formula, plain_columns
from .logdet import TaylorSpectrum, spectrum
from .variants import variant

if TYPE_CHECKING:
    from .._typing import WeightsLike
    from .logdet import Spectrum
    from .results import FlowResults
    from .subset import SubsetSpectrum

__all__ = ["FlowModel"]

FitMethod = Literal["ml", "s2sls", "mcmc", "ols"]


def _pair_columns(spec: FlowFormula, pairs: pd.DataFrame, orig: str, dest: str) -> list:
    """The pair columns the formula uses (the response and ``P_()``): only they are checked
    for missing values, so an unused column with gaps does not shrink the sample."""
    from formulaic import Formula

    rhs = spec.parts.get("P_", "1")
    used = Formula(f"{spec.response} ~ {rhs}").required_variables
    return [c for c in pairs.columns if c in used and c not in (orig, dest)]


class FlowModel:
    """A spatial econometric interaction model of origin-destination flows.

    Build it with :meth:`from_formula`; :meth:`fit` returns a
    :class:`~spatialflow.flows.results.FlowResults`. The model stores its inputs; the work
    happens in :meth:`fit`.

    Parameters
    ----------
    data : FlowData
        The nodes, the pair matrices, the weights ``W`` and the sample mask.
    formula : FlowFormula
        The parsed formula (:func:`spatialflow.flows.formula.parse_flow_formula`).
    model : {"model_1", ..., "model_9"}, default "model_9"
        The variant, in spflow's numbering (see :mod:`spatialflow.flows.variants`).
    lags : bool, default True
        Add the spatial lags ``W x`` of the origin and destination characteristics.
    intra : bool, default True
        Estimate the intra-regional constant ``(Intra)`` when the sample has
        intra-regional pairs (:meth:`from_formula` also leaves those pairs out with False).
    formula_text : str, default ""
        The formula as written, shown in the summary.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from libpysal.weights import lat2W
    >>> from spatialflow.flows import FlowModel
    >>> from spatialflow.flows.simulate import simulate_flows
    >>> w = lat2W(3, 3); w.transform = "r"
    >>> sim = simulate_flows(w, rho=(0.3, 0.2, -0.1), seed=1)
    >>> res = FlowModel.from_formula("y ~ O_(x) + D_(x) + P_(dist)", sim.nodes, sim.pairs,
    ...                              w).fit(method="ml")
    >>> list(res.params.index[:3])
    ['rho_d', 'rho_o', 'rho_w']
    """

    def __init__(self, data: FlowData, formula: FlowFormula, *, model: str = "model_9",
                 lags: bool = True, intra: bool = True, formula_text: str = "") -> None:
        self.data = data
        self.formula = formula
        self.formula_text = formula_text
        self.variant = variant(model)
        self.lags = bool(lags)
        self.use_intra = bool(intra)

    @classmethod
    def from_formula(cls, formula: str, nodes: pd.DataFrame, pairs: pd.DataFrame, w: WeightsLike, *,
                     model: str = "model_9", orig: str = "orig", dest: str = "dest",
                     lags: bool = True, intra: bool = True,
                     missing: str = "raise") -> "FlowModel":
        """A flow model from an spflow-style formula.

        Parameters
        ----------
        formula : str
            ``"y ~ O_(pop + school) + D_(pop + school) + I_(pop) + P_(log_dist)"``; the
            response and ``P_()`` are evaluated on ``pairs``, the other parts on ``nodes``,
            both with formulaic (transformations such as ``log(x)`` work).
        nodes : pandas.DataFrame
            One row per node, indexed by node id.
        pairs : pandas.DataFrame
            One row per origin-destination pair: id columns ``orig`` and ``dest`` and the
            pair variables (flow, distance, ...).
        w : libpysal.graph.Graph or libpysal.weights.W
            Node weights over the node ids (usually row-standardised).
        model : {"model_1", ..., "model_9"}
            The variant, in spflow's numbering (see :mod:`spatialflow.flows.variants`).
        orig, dest : str
            The id columns of ``pairs``.
        lags : bool, default True
            Add the spatial lags ``W x`` of the origin and destination characteristics
            (spatial Durbin form, spflow's default ``sdm_variables = "same"``).
        intra : bool, default True
            Intra-regional pairs (``o = d``) are part of the sample (and the constant
            ``(Intra)`` and ``I_()`` are estimated). With False the design is
            non-Cartesian.
        missing : {"raise", "subset"}
            Absent pairs or missing values: raise, naming them, or keep the observed pairs
            (non-Cartesian design).

        Returns
        -------
        FlowModel
            The unfitted model.
        """
        from .._validation import check_flag

        check_flag(lags, "lags")
        check_flag(intra, "intra")
        spec = parse_flow_formula(formula)
        data = FlowData.from_frames(nodes, pairs, w, orig=orig, dest=dest, missing=missing,
                                    intra=intra, columns=_pair_columns(spec, pairs, orig, dest))
        if not intra and "I_" in spec.parts:
            raise FlowFormulaError("I_() needs intra-regional pairs; it cannot be used with "
                                   "intra=False.")
        return cls(data, spec, model=model, lags=lags, intra=intra, formula_text=formula)

    # -- design -----------------------------------------------------------------------------
    def _pair_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: v.ravel() for k, v in self.data.pairs.items()})

    def _pair_values(self, expr: str, what: str, sample: np.ndarray, frame: list) -> dict:
        """``{column: n x n matrix}`` of a response or ``P_()`` expression, zero outside the
        sample. Plain column names are taken from the pair matrices as they are (read-only
        views in a Cartesian sample: at 10^8 pairs a formulaic evaluation would copy each
        column twice); anything else is evaluated by formulaic on the flattened pair table
        (built once, in ``frame``)."""
        d = self.data
        names = plain_columns(expr, d.pairs, response=what == "response")
        if names is None:
            if not frame:
                frame.append(self._pair_frame())
            return pair_matrices(expr, frame[0], sample, d.n, what, d.ids)
        out = {}
        for name in names:
            x = d.pairs[name]  # finite on the sample (checked by FlowData)
            if d.mask is None:
                x = x.view()
                x.flags.writeable = False
            else:
                x = np.where(d.mask, x, 0.0)
            out[name] = x
        return out

    def design(self, *, instruments: bool = False) -> Design:
        """The regressors, instruments and flow lags as compact :class:`Term` objects.

        Parameters
        ----------
        instruments : bool, default False
            Also build the S2SLS instruments (spatial lags of the regressors).

        Returns
        -------
        Design
            ``Z`` the regressors, ``H`` the instruments (empty unless ``instruments``) and
            ``flows`` the response ``y`` with its lags ``y.d``, ``y.o``, ``y.w``.
        """
        d = self.data
        n, W, mask = d.n, d.W, d.mask
        sample = np.ones((n, n), dtype=bool) if mask is None else mask
        frame: list = []  # the flattened pair table, built only if formulaic needs it
        Z: list[Term] = []
        H: list[Term] = []
        if self.formula.intercept:
            Z.append(Term("(Intercept)", "const", 1.0))
        has_intra = self.use_intra and (mask is None or bool(np.diag(mask).any()))
        if has_intra and self.formula.intra_constant:
            Z.append(Term("(Intra)", "intra", np.ones(n) if mask is None
                          else np.diag(mask).astype(float)))
            if instruments:
                H += intra_instruments(W, mask)
        for part, kind in (("D_", "dest"), ("O_", "orig"), ("I_", "intra")):
            if part not in self.formula.parts:
                continue
            frame_x = node_matrix(self.formula.parts[part], d.nodes, part)
            lagged = 1 if (self.lags and part != "I_") else 0
            regs, insts = node_terms(part, frame_x, W, lags=lagged,
                                     instruments=2 if instruments else 0, kind=kind)
            Z += regs
            H += insts
        if "P_" in self.formula.parts:
            for name, P in self._pair_values(self.formula.parts["P_"], "pair variable",
                                             sample, frame).items():
                Z.append(Term(f"P_{name}", "pair", P))
                if instruments:
                    H += pair_instruments(f"P_{name}", P, W, mask)
        ys = self._pair_values(self.formula.response, "response", sample, frame)
        if len(ys) != 1:
            raise FlowFormulaError(f"the response {self.formula.response!r} must be one "
                                   f"column; it gives {list(ys)}.")
        y = next(iter(ys.values()))
        flows = [Term("y", "pair", y)] + [Term(f"y.{s}", "pair", lag)
                                          for s, lag in zip("dow", flow_lags(y, W, mask))]
        return Design(Z=Z, H=H, flows=flows)

    def moments(self, *, instruments: bool = False) -> Moments:
        """The moment matrices (inner products over the sample) of :meth:`design`.

        Parameters
        ----------
        instruments : bool, default False
            Also compute the instrument moments ``UU`` and ``UF`` (for S2SLS).

        Returns
        -------
        Moments
            ``ZZ``, ``ZF``, ``FF`` (and ``UU``, ``UF`` with instruments) and the sample size.
        """
        des = self.design(instruments=instruments)
        s = SampleSums(self.data.mask, self.data.n)
        m = Moments(N=self.data.n_pairs, ZZ=gram(des.Z, des.Z, s), ZF=gram(des.Z, des.flows, s),
                    FF=gram(des.flows, des.flows, s), names=des.names)
        if instruments:
            U = des.Z + des.H
            m.UU = gram(U, U, s)
            m.UF = np.vstack([m.ZF, gram(des.H, des.flows, s)])
        return m

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, method: FitMethod = "ml", *, logdet_order: int | None = None,
            draws: int = 5000, burn_in: int = 1000,
            seed: int | None = None) -> FlowResults:
        """Estimate the model.

        Parameters
        ----------
        method : {"ml", "s2sls", "mcmc", "ols"}
            ``"ml"``: exact maximum likelihood (log-determinant from the eigenvalues of
            ``W``; for a non-Cartesian sample see :mod:`.subset`); ``"s2sls"``: spatial
            two-stage least squares with spflow's instruments; ``"ols"``: least squares
            ignoring the lags (the ML of
            model_1). ``model_1`` is always fitted by OLS. ``"mcmc"``: Bayesian
            posterior by MCMC on the exact log-determinant (:mod:`.mcmc`); ``params`` are
            posterior means, ``bse`` posterior standard deviations, ``samples`` the draws.
        logdet_order : int, optional
            ML only. None (default): the exact log-determinant. An integer ``m >= 2``: the
            order-``m`` power series R spflow uses (``logdet_approx_order``), to reproduce
            its estimates; not an approximation to use for inference (docs/flows.md gives
            its error).
        draws : int, default 5000
            MCMC only: the number of kept draws.
        burn_in : int, default 1000
            MCMC only: the number of discarded initial draws.
        seed : int, optional
            MCMC only: the seed of the sampler.

        Returns
        -------
        FlowResults
            The estimates, standard errors and fit statistics.
        """
        from .results import FlowResults

        if method not in ("ml", "s2sls", "mcmc", "ols"):
            raise InputError(f"method must be one of ['ml', 's2sls', 'mcmc', 'ols']; "
                             f"{method!r} was given.")
        var = self.variant
        if method == "mcmc":
            if var.name == "model_1":
                raise ModelSpecificationError("model_1 has no autoregressive parameter; "
                                              "fit it by OLS.")
            for name, value, low in (("draws", draws, 1), ("burn_in", burn_in, 0)):
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                        or value < low:
                    raise InputError(f"{name} must be an integer >= {low}; {value!r} was given.")
            from .._validation import check_seed
            from .mcmc import fit_mcmc

            spec = self.spectrum if self.data.is_cartesian else self.subset_spectrum
            out = fit_mcmc(self.moments(), var, spec, draws=int(draws),
                           burn_in=int(burn_in), seed=check_seed(seed, allow_none=True))
            return FlowResults(self, out, method="mcmc")
        if var.name == "model_1" or method == "ols":
            out = fit_ols(self.moments())
            used = "ols"
        elif method == "s2sls":
            if var.name == "model_8":
                raise ModelSpecificationError("model_8 (rho_w = -rho_d rho_o) is estimated by "
                                              "ML only (as in spflow); use method='ml'.")
            out = fit_s2sls(self.moments(instruments=True), var)
            used = "s2sls"
        else:
            spec = self.spectrum if self.data.is_cartesian else self.subset_spectrum
            if logdet_order is not None:
                if not self.data.is_cartesian:
                    raise InputError("logdet_order (spflow's series) is available for "
                                     "Cartesian samples only.")
                if isinstance(logdet_order, bool) \
                        or not isinstance(logdet_order, (int, np.integer)) or logdet_order < 2:
                    raise InputError("logdet_order must be None (exact) or an integer >= 2; "
                                     f"{logdet_order!r} was given.")
                spec = TaylorSpectrum(spec.lam, int(logdet_order))
            out = fit_ml(self.moments(), var, spec)
            used = "ml"
        return FlowResults(self, out, method=used)

    @property
    def spectrum(self) -> Spectrum:
        """The eigenvalues of ``W`` (computed once per model)."""
        if getattr(self, "_spectrum", None) is None:
            self._spectrum = spectrum(self.data.W)
        return self._spectrum

    @property
    def eigen(self) -> Spectrum:
        """Eigenvalues and eigenvectors of ``W`` (for effects and simulation), cached."""
        if getattr(self, "_eigen", None) is None:
            self._eigen = spectrum(self.data.W, vectors=True)
        return self._eigen

    @property
    def subset_spectrum(self) -> SubsetSpectrum:
        """The exact log-determinant of a non-Cartesian sample (:mod:`.subset`), cached."""
        if getattr(self, "_subset", None) is None:
            from .subset import SubsetSpectrum

            self._subset = SubsetSpectrum(self.eigen, self.data.W, self.data.mask)
        return self._subset

"""Names and kinds shared by every module of :mod:`spatialflow.models` (imports nothing).

- :func:`lag_name` / :func:`parse_lag_name`: the public name ``W_<x>`` of the spatial lag of
  regressor ``x`` and back (the only place that spells the prefix);
- :func:`regime_column`: ``x[r]``, the column of ``x`` in regime ``r``;
- :class:`ModelKind` and :data:`MODEL_KINDS`: the flags of each model kind -- whether W
  enters the response (``lag_y``: rho), the error (``error``: lambda) or the regressors
  (``durbin``: theta). The model classes take their flags from this table, and code that
  only has a results object's ``kind`` asks :func:`kind_flags` instead of keeping its own
  set of kind names.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LAG_PREFIX", "lag_name", "parse_lag_name", "is_lag_name", "regime_column",
           "ModelKind", "MODEL_KINDS", "kind_flags"]

#: Prefix of the spatial lag of a regressor in ``params`` (``W_INC``).
LAG_PREFIX = "W_"


def lag_name(name: str) -> str:
    """Public name of the spatial lag of regressor ``name``: ``lag_name("INC") == "W_INC"``."""
    return f"{LAG_PREFIX}{name}"


def parse_lag_name(name: str) -> str | None:
    """The regressor whose lag ``name`` is, or None if ``name`` is not a lag name."""
    return name[len(LAG_PREFIX):] if is_lag_name(name) else None


def is_lag_name(name) -> bool:
    return isinstance(name, str) and name.startswith(LAG_PREFIX)


def regime_column(var: str, regime) -> str:
    """Name of the column of ``var`` in regime ``regime``: ``INC[core]``."""
    return f"{var}[{regime}]"


@dataclass(frozen=True)
class ModelKind:
    r"""Where W enters :math:`y = \rho Wy + X\beta + WX\theta + u,\ u = \lambda Wu + \varepsilon`."""

    name: str
    lag_y: bool = False
    error: bool = False
    durbin: bool = False

    @property
    def spatial_param(self) -> str | None:
        """``"rho"``, ``"lambda"`` or None (no W in y or u)."""
        return "rho" if self.lag_y else ("lambda" if self.error else None)

    @property
    def least_squares(self) -> bool:
        """OLS and SLX: no W in y or u, estimated by least squares (t inference)."""
        return not (self.lag_y or self.error)

    @property
    def has_effects(self) -> bool:
        """Whether the coefficients of X differ from the marginal effects (W in y or X)."""
        return self.lag_y or self.durbin

    @property
    def without_lags(self) -> str:
        """The kind the model becomes without lagged regressors (SDM -> SAR)."""
        for kind in MODEL_KINDS.values():
            if (kind.lag_y, kind.error, kind.durbin) == (self.lag_y, self.error, False):
                return kind.name
        raise KeyError(self.name)  # pragma: no cover - the table is complete


MODEL_KINDS: dict[str, ModelKind] = {k.name: k for k in (
    ModelKind("OLS"),
    ModelKind("SLX", durbin=True),
    ModelKind("SAR", lag_y=True),
    ModelKind("SEM", error=True),
    ModelKind("SDM", lag_y=True, durbin=True),
    ModelKind("SDEM", error=True, durbin=True),
    ModelKind("SAC", lag_y=True, error=True),
    ModelKind("GNS", lag_y=True, error=True, durbin=True),
)}


def kind_flags(kind: str) -> ModelKind:
    """The :class:`ModelKind` of a kind name (``results.kind``)."""
    try:
        return MODEL_KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown model kind {kind!r}; known: {list(MODEL_KINDS)}") from None

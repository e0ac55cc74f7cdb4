"""The nine variants of LeSage & Pace (2008), numbered as R spflow numbers them.

Each variant maps its free autoregressive parameters :math:`\\theta` to the three of the
general model :math:`(\\rho_d, \\rho_o, \\rho_w)` of
:math:`y = \\rho_d W_d y + \\rho_o W_o y + \\rho_w W_w y + Z\\delta + \\varepsilon`
(verified in spflow's ``define_spatial_lag_params`` and ``lag_flow_matrix``):

========  ===================  ==========================================================
variant   parameters           restriction
========  ===================  ==========================================================
model_1   none                 :math:`\\rho_d = \\rho_o = \\rho_w = 0` (OLS)
model_2   rho_d                :math:`\\rho_o = \\rho_w = 0`
model_3   rho_o                :math:`\\rho_d = \\rho_w = 0`
model_4   rho_w                :math:`\\rho_d = \\rho_o = 0`
model_5   rho_od               one lag :math:`(W_d + W_o) y / 2`
model_6   rho_odw              one lag :math:`(W_d + W_o + W_w) y / 3`
model_7   rho_d, rho_o         :math:`\\rho_w = 0`
model_8   rho_d, rho_o         :math:`\\rho_w = -\\rho_d \\rho_o` (separable filter; ML only)
model_9   rho_d, rho_o, rho_w  none
========  ===================  ==========================================================

So model_5 is :math:`\\rho_d = \\rho_o = \\rho_{od}/2, \\rho_w = 0` and model_6 is
:math:`\\rho_d = \\rho_o = \\rho_w = \\rho_{odw}/3` in the general model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import FlowFormulaError

__all__ = ["Variant", "variant", "MODELS"]

MODELS = tuple(f"model_{k}" for k in range(1, 10))


@dataclass(frozen=True)
class Variant:
    """A variant: its free parameter names and the linear map ``rho = A theta`` (plus, for
    model_8, the product restriction)."""

    name: str
    names: tuple
    A: np.ndarray  # 3 x k

    @property
    def k(self) -> int:
        return len(self.names) if self.name != "model_8" else 2

    def rho(self, theta) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        if self.name == "model_8":
            return np.array([theta[0], theta[1], -theta[0] * theta[1]])
        return self.A @ theta

    def jacobian(self, theta) -> np.ndarray:
        """:math:`\\partial\\rho / \\partial\\theta` (3 x k)."""
        if self.name == "model_8":
            return np.array([[1.0, 0.0], [0.0, 1.0], [-theta[1], -theta[0]]])
        return self.A

    def curvature(self, grad_rho) -> np.ndarray:
        """:math:`\\sum_k g_k \\partial^2 \\rho_k / \\partial\\theta^2` for a gradient ``g``
        in rho."""
        if self.name == "model_8":
            return np.array([[0.0, -grad_rho[2]], [-grad_rho[2], 0.0]])
        return np.zeros((self.k, self.k))

    @property
    def param_names(self) -> list[str]:
        """Names of the reported autoregressive parameters (model_8 also reports rho_w)."""
        return list(self.names)


_E = np.eye(3)
_TABLE = {
    "model_1": ((), np.zeros((3, 0))),
    "model_2": (("rho_d",), _E[:, [0]]),
    "model_3": (("rho_o",), _E[:, [1]]),
    "model_4": (("rho_w",), _E[:, [2]]),
    "model_5": (("rho_od",), np.array([[0.5], [0.5], [0.0]])),
    "model_6": (("rho_odw",), np.full((3, 1), 1.0 / 3.0)),
    "model_7": (("rho_d", "rho_o"), _E[:, [0, 1]]),
    "model_8": (("rho_d", "rho_o", "rho_w"), _E[:, [0, 1]]),
    "model_9": (("rho_d", "rho_o", "rho_w"), _E),
}


def variant(model: str) -> Variant:
    """The :class:`Variant` called ``model`` (``"model_1"`` ... ``"model_9"``).

    Raises
    ------
    FlowFormulaError
        If ``model`` is not one of the nine names.
    """
    if model not in _TABLE:
        raise FlowFormulaError(f"model must be one of {list(MODELS)} (spflow's numbering); "
                               f"{model!r} was given.")
    names, A = _TABLE[model]
    return Variant(model, names, A)

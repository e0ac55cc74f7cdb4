r"""Colours of the maps, chosen to survive colour-vision deficiency and greyscale print.

The three-colour warning palette is ordered by lightness, not by hue alone: green is light,
amber mid, red dark, so a deuteranope (or a photocopier) still tells them apart. The check is
CIE 1976 :math:`L^*` (D65 white) of each colour and of its deuteranopia simulation
(Machado, Oliveira & Fernandes 2009, severity 1, applied in linear sRGB):

.. math::

    L^* = 116\,f(Y) - 16,\qquad f(Y) = Y^{1/3}\ (Y > 0.008856),\ 7.787\,Y + 16/116\ \text{else},

with :math:`Y = 0.2126R + 0.7152G + 0.0722B` the relative luminance of the linear channels.
Pairwise :math:`L^*` differences are at least :data:`MIN_LIGHTNESS_GAP` in both views
(``tests/test_plot.py`` recomputes them).
"""
from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

__all__ = ["THREE_COLOUR", "THREE_COLOUR_HATCH", "LISA_COLOURS", "NO_DATA", "SEQUENTIAL",
           "DIVERGING", "lightness", "simulate_deuteranopia", "MIN_LIGHTNESS_GAP",
           "QUALITATIVE", "MUTED"]

#: Three-colour warning (三色预警): light green, mid amber, dark red (L* 87, 62, 26).
THREE_COLOUR = {"green": "#c2e699", "yellow": "#cc8800", "red": "#800026"}
#: Hatching drawn on request (``hatch=True``), a second cue beside lightness.
THREE_COLOUR_HATCH = {"green": "", "yellow": "..", "red": "///"}
#: LISA quadrants (ColorBrewer RdBu ends and their light tints) and "not significant".
LISA_COLOURS = {"HH": "#b2182b", "HL": "#f4a582", "LH": "#92c5de", "LL": "#2166ac",
                "ns": "#eeeeee"}
NO_DATA = {"color": "#f7f7f7", "edgecolor": "#999999", "hatch": "xxx"}
#: One-signed values: a single-hue, lightness-monotone map; mixed signs around a
#: meaningful zero: a two-hue diverging map.
SEQUENTIAL = "viridis"
DIVERGING = "RdBu"
MIN_LIGHTNESS_GAP = 20.0
#: Groups and models told apart by colour: Okabe & Ito (2008), distinguishable under the
#: common colour-vision deficiencies (their yellow left out: unreadable on white).
QUALITATIVE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: The groups a chart does not highlight (many groups: the rest, behind the highlighted).
MUTED = "#c8c8c8"

# Machado et al. (2009), deuteranopia, severity 1.0; rows give simulated linear R, G, B.
_DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                          [0.280085, 0.672501, 0.047413],
                          [-0.011820, 0.042940, 0.968881]])


def _linear(colour) -> np.ndarray:
    c = np.asarray(to_rgb(colour), dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lstar(linear_rgb: np.ndarray) -> float:
    y = float(linear_rgb @ np.array([0.2126, 0.7152, 0.0722]))
    f = np.cbrt(y) if y > 0.008856 else 7.787 * y + 16.0 / 116.0
    return float(116.0 * f - 16.0)


def lightness(colour) -> float:
    """CIE :math:`L^*` (0 black .. 100 white) of a matplotlib colour."""
    return _lstar(_linear(colour))


def simulate_deuteranopia(colour) -> np.ndarray:
    """Linear-sRGB of ``colour`` as a deuteranope sees it (Machado et al. 2009, severity 1)."""
    return np.clip(_DEUTERANOPIA @ _linear(colour), 0.0, 1.0)


def deuteranopia_lightness(colour) -> float:
    """:math:`L^*` of the deuteranopia simulation of ``colour``."""
    return _lstar(simulate_deuteranopia(colour))

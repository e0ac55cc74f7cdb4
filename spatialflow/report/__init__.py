"""The core-periphery deficit report: deficits, three-colour monitoring, decompositions,
spillover blocks, maps and one self-contained HTML report.

>>> from spatialflow.report import DEFAULT_INDICATORS
>>> [i.column for i in DEFAULT_INDICATORS][:2]
['tfp', 'income_gap']

Nothing in models, measures, datasets or weights imports this package.
"""
from .builder import build
from .counterfactual import counterfactual
from .document import Report
from .fonts import find_cjk_font
from .indicators import DEFAULT_INDICATORS, Indicator
from .monitoring import ColourRule

__all__ = ["build", "Report", "Indicator", "DEFAULT_INDICATORS", "ColourRule",
           "counterfactual", "find_cjk_font"]

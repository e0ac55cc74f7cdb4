"""Maps in one line: ``spatialflow.plot.lisa_map(y, w, layer)``.

Every function returns the matplotlib ``Axes`` it drew on (``ax=None``: a new figure).
The report's maps are drawn by the same functions.

- :func:`choropleth` -- a column or Series by id, classed (mapclassify) or continuous;
  sequential for one-signed values, diverging only around zero.
- :func:`lisa_map` -- Local Moran clusters, at p < alpha or with an FDR cutoff (esda).
- :func:`effects_map`, :func:`shock_map` -- per-county effects and the response to one
  county's change, from a fitted spatial model.
- :func:`residual_map` -- a model's residuals by unit.
- :func:`warning_map`, :func:`categorical_map` -- the three-colour warning and any fixed
  categories, with a colour-blind-safe palette ordered by lightness (optional hatching).
- :func:`convergence_scatter`, :func:`density_plot`, :func:`stochastic_kernel_plot` --
  beta-convergence, kernel densities by period and the stochastic kernel's contours.
- :func:`geodetector_bars`, :func:`local_estimate_maps` -- Geodetector q by factor, and the
  local estimates of a GWR/MGWR fit with each term's bandwidth.
"""
from .dynamics import convergence_scatter, density_plot, stochastic_kernel_plot
from .drivers import geodetector_bars, local_estimate_maps
from .lisa import lisa_clusters, lisa_map
from .maps import categorical_map, choropleth, class_labels, scheme_name, warning_map
from .results_maps import effects_map, residual_map, shock_map, shock_response
from .palettes import LISA_COLOURS, THREE_COLOUR

__all__ = ["choropleth", "lisa_map", "effects_map", "residual_map", "shock_map",
           "warning_map", "categorical_map", "lisa_clusters", "shock_response",
           "class_labels", "scheme_name", "THREE_COLOUR", "LISA_COLOURS",
           "convergence_scatter", "density_plot", "stochastic_kernel_plot", "geodetector_bars",
           "local_estimate_maps"]
from .event_study import event_study_plot  # noqa: E402,F401  (issue 24: spatialflow.causal event studies)

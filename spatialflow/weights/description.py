"""A compact description of a spatial weights object."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .._render import Block, render_blocks
from ..exceptions import EmptyInputError
from .align import weights_ids

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    from .._typing import WeightsLike

__all__ = ["WeightsDescription", "describe"]


# Built by describe(), never by users: the fields are documented under Attributes
# (tests/test_docstrings.py checks that every field is), not as constructor parameters.
@dataclass(frozen=True)
class WeightsDescription:  # numpydoc ignore=PR01
    """Summary of spatial weights (see :func:`describe`).

    Attributes
    ----------
    n : int
        Units.
    n_links : int
        Non-zero off-diagonal weights (directed: a symmetric pair counts twice).
    islands : tuple
        Ids of the units without neighbours.
    n_components : int
        Weakly connected components.
    neighbours_min, neighbours_mean, neighbours_median, neighbours_max : int or float
        Neighbours per unit.
    symmetric : bool
        Whether the neighbour relation is symmetric (j is a neighbour of i iff i is of j).
    asymmetric_share : float
        Share of links whose reverse link is absent.
    transform : str
        The libpysal transformation code ("O" original, "R" row-standardised, "B" binary...).
    n_self_loops : int
        Units with a non-zero diagonal weight.
    self_loops : tuple
        Their ids.
    n_negative, n_nonfinite : int
        Negative and non-finite (NaN, inf) weights.
    """

    n: int
    n_links: int
    islands: tuple
    n_components: int
    neighbours_min: int
    neighbours_mean: float
    neighbours_median: float
    neighbours_max: int
    symmetric: bool
    asymmetric_share: float
    transform: str
    n_self_loops: int = 0
    self_loops: tuple = ()
    n_negative: int = 0
    n_nonfinite: int = 0

    def to_series(self) -> pd.Series:
        """The description as a pandas Series.

        Returns
        -------
        pandas.Series
            One entry per attribute (islands as a tuple of ids), object dtype.
        """
        return pd.Series(asdict(self), dtype=object)

    def to_frame(self) -> pd.DataFrame:
        """The description as a table of readable labels and formatted values.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``property`` (readable labels), with the formatted ``value``.
        """
        return pd.DataFrame(self._rows(), columns=["property", "value"]).set_index("property")

    def _rows(self) -> list[tuple[str, str]]:
        if self.islands:
            shown = ", ".join(str(i) for i in self.islands[:10])
            more = f" (+{len(self.islands) - 10} more)" if len(self.islands) > 10 else ""
            islands = f"{len(self.islands)}: {shown}{more}"
        else:
            islands = "none"
        transform = _TRANSFORMS.get(self.transform, self.transform)
        rows = [
            ("units", f"{self.n:,}"),
            ("links (directed; a symmetric pair counts twice)", f"{self.n_links:,}"),
            ("islands (units without neighbours)", islands),
            ("connected components", f"{self.n_components:,}"),
            ("neighbours per unit: min / median / mean / max",
             f"{self.neighbours_min} / {self.neighbours_median:g} / "
             f"{self.neighbours_mean:.2f} / {self.neighbours_max}"),
            ("symmetric neighbour relation", "yes" if self.symmetric else
             f"no ({self.asymmetric_share:.1%} of links have no reverse link)"),
            ("transformation", transform),
        ]
        # Problems the models refuse, shown only when present (fields of newer descriptions).
        if getattr(self, "n_self_loops", 0):
            shown = ", ".join(str(i) for i in self.self_loops[:10])
            rows.append(("self-loops (units with w_ii != 0)", f"{self.n_self_loops}: {shown}"))
        if getattr(self, "n_negative", 0):
            rows.append(("negative weights", f"{self.n_negative:,}"))
        if getattr(self, "n_nonfinite", 0):
            rows.append(("non-finite weights (NaN, inf)", f"{self.n_nonfinite:,}"))
        return rows

    def __str__(self) -> str:
        rows = self._rows()
        width = max(len(k) for k, _ in rows)
        lines = ["Spatial weights", "-" * (width + 2 + max(len(v) for _, v in rows))]
        lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
        return "\n".join(lines)

    def _block(self) -> Block:
        return Block(title="", columns=("property", "value"), rows=tuple(self._rows()),
                     show_header=False, kv_header=("property", "value"))

    def as_markdown(self) -> str:
        """A Markdown property/value table (the package's table renderer).

        Returns
        -------
        str
            The rows of :meth:`to_frame` as a Markdown table titled "Spatial weights".
        """
        return render_blocks([self._block()], "markdown", title="Spatial weights")

    def as_latex(self) -> str:
        """A ``booktabs`` LaTeX table (the package's table renderer, text escaped).

        Returns
        -------
        str
            The rows of :meth:`to_frame` as LaTeX source (needs ``\\usepackage{booktabs}``).
        """
        return render_blocks([self._block()], "latex", title="Spatial weights")

    def as_html(self) -> str:
        """An HTML table with the package's one table style (notebooks, reports).

        Returns
        -------
        str
            The rows of :meth:`to_frame` as an HTML fragment (CSS class
            ``spatialflow-weights``).
        """
        return render_blocks([self._block()], "html", title="Spatial weights",
                             css_class="spatialflow-weights")

    def _repr_html_(self) -> str:
        return self.as_html()


_TRANSFORMS = {"R": "R (row-standardised)", "B": "B (binary)", "O": "O (original values)",
               "D": "D (doubly standardised)", "V": "V (variance stabilising)"}


def describe(w: WeightsLike) -> WeightsDescription:
    """Describe a libpysal ``Graph`` or ``W``.

    In a notebook the result shows as a table; ``print`` gives the same as text, and the
    attributes below stay available (``.to_series()``, ``.to_frame()``).

    Parameters
    ----------
    w : libpysal.graph.Graph or libpysal.weights.W
        Spatial weights.

    Returns
    -------
    WeightsDescription
        ``n`` units; ``n_links`` non-zero off-diagonal weights (directed: a symmetric pair
        counts twice); ``islands`` ids without neighbours; ``n_components`` weakly connected
        components; neighbour counts min/mean/median/max; ``symmetric`` whether the
        neighbour *relation* is symmetric (j is a neighbour of i iff i is of j -- row
        standardisation makes values asymmetric, not the relation);
        ``asymmetric_share`` share of links whose reverse link is absent; ``transform`` the
        libpysal transformation code ("O" original, "R" row-standardised, "B" binary, ...);
        ``n_self_loops`` and ``self_loops`` the count and ids of units with a non-zero
        self-weight :math:`w_{ii}` (libpysal's explicit zero self-link of an island is not
        one; models refuse self-loops, see :func:`~spatialflow.weights.as_sparse`);
        ``n_negative`` and ``n_nonfinite`` the numbers of negative and of NaN/inf weights
        (also refused by the models). Self-loops are not counted in ``n_links`` nor as
        neighbours.

    Examples
    --------
    >>> from spatialflow.datasets import load_guangdong_counties
    >>> from spatialflow.weights import build, describe
    >>> d = describe(build(load_guangdong_counties(), "queen", islands="knn"))
    >>> d.n, d.islands, d.n_components, d.symmetric
    (124, (), 1, True)
    >>> print(d)  # doctest: +NORMALIZE_WHITESPACE
    Spatial weights
    ---------------------------------------------------------------------
    units                                            124
    links (directed; a symmetric pair counts twice)  600
    islands (units without neighbours)               none
    connected components                             1
    neighbours per unit: min / median / mean / max   1 / 5 / 4.84 / 11
    symmetric neighbour relation                     yes
    transformation                                   R (row-standardised)
    """
    ids = weights_ids(w)
    if len(ids) == 0:
        raise EmptyInputError("the weights have no units; nothing to describe.")
    matrix = sp.csr_matrix(w.sparse, dtype=float)
    matrix.eliminate_zeros()
    diagonal = matrix.diagonal()
    loops = np.flatnonzero(diagonal != 0)
    n_negative = int(np.count_nonzero(matrix.data < 0))
    n_nonfinite = int(np.count_nonzero(~np.isfinite(matrix.data)))
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    pattern = matrix.copy()
    pattern.data[:] = 1.0
    counts = np.diff(pattern.indptr)
    n_links = int(pattern.nnz)
    reverse_missing = pattern - pattern.multiply(pattern.T)
    n_asym = int(np.count_nonzero(reverse_missing.data))
    n_comp, _ = connected_components(pattern, directed=True, connection="weak")
    transform = getattr(w, "transformation", None) or getattr(w, "transform", "O")
    return WeightsDescription(
        n=len(ids),
        n_links=n_links,
        islands=tuple(ids[counts == 0]),
        n_components=int(n_comp),
        neighbours_min=int(counts.min()),
        neighbours_mean=float(counts.mean()),
        neighbours_median=float(np.median(counts)),
        neighbours_max=int(counts.max()),
        symmetric=n_asym == 0,
        asymmetric_share=n_asym / n_links if n_links else 0.0,
        transform=str(transform).upper(),
        n_self_loops=int(loops.size),
        self_loops=tuple(ids[loops].tolist()),
        n_negative=n_negative,
        n_nonfinite=n_nonfinite,
    )

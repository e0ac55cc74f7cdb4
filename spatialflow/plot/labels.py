"""Place-name labels that never collide: a label that would overlap one of higher priority
is hidden, decided when the figure is drawn (in its final layout).

Twenty-one prefecture names on a 4-inch map of Guangdong overlap ("Guangzh" under
"Fosha"); dropping the lower-priority label (the smaller area, by default) keeps every
shown name whole and readable.
"""
from __future__ import annotations

from matplotlib.artist import Artist

__all__ = ["label_places"]

# Labels are drawn above the map's polygons and outlines; the arbiter just below them, so
# it has decided what is visible before any label draws.
LABEL_ZORDER = 6.0
# Screen pixels kept clear around each label's glyphs: its rounded background (pad 0.15 of
# a 9-point font is about 2 px at 100 dpi) and a hair of white between two labels.
LABEL_PAD_PX = 3.0


class _Declutter(Artist):
    """Shows ``texts`` in their order, hiding one whose box meets an already shown one."""

    def __init__(self, texts, pad: float = LABEL_PAD_PX):
        super().__init__()
        self._texts = list(texts)
        self._pad = pad
        self.set_zorder(LABEL_ZORDER - 0.01)
        self.set_in_layout(False)   # it draws nothing: no box for layouts to make room for

    def draw(self, renderer):
        shown = []
        for text in self._texts:
            text.set_visible(True)   # an invisible text has an empty extent
            # the glyphs' box; the pad stands for the rounded background around them
            bb = text.get_window_extent(renderer).padded(self._pad)
            if any(bb.overlaps(other) for other in shown):
                text.set_visible(False)
            else:
                shown.append(bb)
        self.stale = False


def label_places(ax, points, names, *, priority=None, fontsize: float = 9.0,
                 background: bool = True) -> list:
    """Write ``names`` at ``points`` on ``ax``; where labels would overlap, the one with
    the lower ``priority`` is hidden (at draw time, in the figure's final layout).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    points : sequence of (x, y)
        Anchor of each label in data coordinates (e.g. a polygon's representative point).
    names : sequence of str
    priority : sequence of float, optional
        Higher first (e.g. the polygon's area); default: the given order.
    fontsize : float
    background : bool
        A translucent white box behind each label.

    Returns
    -------
    list of matplotlib.text.Annotation
        All labels, in priority order; ``get_visible()`` tells which were kept once the
        figure has been drawn.
    """
    points, names = list(points), [str(n) for n in names]
    order = list(range(len(names)))
    if priority is not None:
        prio = list(priority)
        # stable: equal priorities keep the given order
        order.sort(key=lambda i: -float(prio[i]))
    texts = []
    for i in order:
        kw = dict(ha="center", va="center", fontsize=fontsize, fontweight="bold",
                  color="#111111", zorder=LABEL_ZORDER)
        if background:
            kw["bbox"] = dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75)
        texts.append(ax.annotate(names[i], points[i], **kw))
    ax.add_artist(_Declutter(texts))
    return texts

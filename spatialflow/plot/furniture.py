"""Map furniture placed off the land: legend, scale bar and north arrow.

Each of the four corners of the map frame gets a box (a share of the frame's width and
height), ranked by the polygons it meets (ties: the smaller area of land in the box, then
lower right, lower left, upper right, upper left). The legend takes the first corner where
its measured box (with a margin) covers no land, else it goes beside the map
(:mod:`spatialflow.plot.maps`); the scale bar and north arrow go to the first spot free of
land and legend in the other corners (:func:`free_spot`). The frame is padded first so that
a corner of open sea exists even when the land fills its bounding box.
"""
from __future__ import annotations

import numpy as np
from shapely.geometry import box

__all__ = ["free_corners", "free_spot", "scale_and_arrow", "pad_frame", "CORNERS"]

# matplotlib legend locations of the corners, in order of preference
CORNERS = ("lower right", "lower left", "upper right", "upper left")
BOX_SHARE = (0.30, 0.24)   # width, height of a corner's box as a share of the frame
PAD = 0.06                 # frame padding, share of each side


def pad_frame(ax, bounds) -> tuple[float, float, float, float]:
    """Set the axes' limits to ``bounds`` padded by :data:`PAD`; return the new frame."""
    x0, y0, x1, y1 = bounds
    dx, dy = (x1 - x0) * PAD, (y1 - y0) * PAD
    frame = (x0 - dx, y0 - dy, x1 + dx, y1 + dy)
    ax.set_xlim(frame[0], frame[2])
    ax.set_ylim(frame[1], frame[3])
    return frame


def corner_box(frame, corner: str):
    x0, y0, x1, y1 = frame
    w, h = (x1 - x0) * BOX_SHARE[0], (y1 - y0) * BOX_SHARE[1]
    left = x0 if "left" in corner else x1 - w
    bottom = y0 if "lower" in corner else y1 - h
    return box(left, bottom, left + w, bottom + h)


def free_corners(geometries, frame) -> list[str]:
    """The corners ordered from the freest (fewest polygons, then least land) to the fullest.

    Parameters
    ----------
    geometries : geopandas.GeoSeries
        The land drawn on the map.
    frame : tuple
        ``(xmin, ymin, xmax, ymax)`` of the map frame.
    """
    scores = []
    for rank, corner in enumerate(CORNERS):
        b = corner_box(frame, corner)
        hit = geometries[geometries.intersects(b)]
        area = float(hit.intersection(b).area.sum()) if len(hit) else 0.0
        scores.append((len(hit), area, rank, corner))
    return [c for *_, c in sorted(scores)]


def free_spot(geometries, frame, corners, width: float, height: float, avoid=()):
    """Lower-left point of a ``width`` x ``height`` rectangle free of land.

    Candidate positions are scanned on a grid inside each corner's box in turn (``corners``
    in order of preference), nearest the corner first; the first rectangle that meets no
    geometry nor any rectangle of ``avoid`` (e.g. the legend) wins. Without any free spot:
    the first corner itself.
    """
    x0, y0, x1, y1 = frame
    inset_x, inset_y = 0.02 * (x1 - x0), 0.02 * (y1 - y0)
    index = geometries.sindex
    for corner in corners:
        b = corner_box(frame, corner).bounds
        xs = np.linspace(b[0] + inset_x, b[2] - width - inset_x, 6)
        ys = np.linspace(b[1] + inset_y, b[3] - height - inset_y, 5)
        if "right" in corner:
            xs = xs[::-1]
        if "upper" in corner:
            ys = ys[::-1]
        for y in ys:
            for x in xs:
                rect = box(x, y, x + width, y + height)
                if (not len(index.query(rect, predicate="intersects"))
                        and not any(rect.intersects(a) for a in avoid)):
                    return x, y
    b = corner_box(frame, corners[0]).bounds
    return (b[0] + inset_x if "left" in corners[0] else b[2] - width - inset_x,
            b[1] + inset_y if "lower" in corners[0] else b[3] - height - inset_y)


def _bar_length(frame, metres_per_unit: float) -> tuple[float, float]:
    """A round bar length (1, 2 or 5 x 10^k m) near a sixth of the frame's width:
    (length in map units, length in metres)."""
    span_m = (frame[2] - frame[0]) / 6 * metres_per_unit
    power = 10 ** np.floor(np.log10(span_m))
    length_m = max(m * power for m in (1, 2, 5) if m * power <= span_m)
    return length_m / metres_per_unit, length_m


def scale_and_arrow(ax, geometries, frame, corners, metres_per_unit: float | None,
                    km_label: str = "km", *, bar: bool = True, arrow: bool = True,
                    avoid=()):
    """Scale bar (when the CRS is metric) and north arrow side by side on open ground.

    Returns the rectangle they occupy (a shapely box), or None when nothing is drawn.
    """
    w, h = frame[2] - frame[0], frame[3] - frame[1]
    length, length_m = (_bar_length(frame, metres_per_unit) if bar and metres_per_unit
                        else (0.0, 0.0))
    arrow_w = 0.05 * w if arrow else 0.0
    width, height = length + arrow_w + (0.02 * w if length and arrow_w else 0.0), 0.13 * h
    if width == 0:
        return None
    x, y = free_spot(geometries, frame, corners, width, height, avoid)
    if length:
        yb = y + 0.15 * height
        ax.plot([x, x + length], [yb, yb], color="black", linewidth=3,
                solid_capstyle="butt", gid="sf-scale-bar")
        ax.plot([x, x + length / 2], [yb, yb], color="white", linewidth=1.2,
                solid_capstyle="butt")
        ax.text(x + length / 2, yb + 0.1 * height, f"{length_m / 1000:g} {km_label}",
                ha="center", va="bottom", fontsize=8, gid="sf-scale-label")
    if arrow:
        xa = x + width - arrow_w / 2
        ax.annotate("", xy=(xa, y + 0.72 * height), xytext=(xa, y + 0.05 * height),
                    arrowprops=dict(arrowstyle="-|>", color="black", linewidth=1.2))
        ax.text(xa, y + 0.74 * height, "N", ha="center", va="bottom", fontsize=9,
                fontweight="bold", gid="sf-north-arrow")
    return box(x, y, x + width, y + height)

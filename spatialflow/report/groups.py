"""Reports with many groups (21 prefectures, 31 provinces) that stay readable.

With the four regions of Guangdong every sentence and figure can name every group. With
21 prefectures a summary bullet that lists all of them runs to 250 words, and a
group x group heatmap has 441 unreadable cells. Beyond the limits below:

- a summary sentence names the groups with the largest values (``rank_groups``) and says
  how many more the cited table holds (``more_groups``);
- a group x group heatmap is not drawn: its table (``blocks_groups``) carries the numbers;
- a line chart colours the groups with the largest values and draws the rest in grey.
"""
from __future__ import annotations

import math

__all__ = ["SUMMARY_GROUPS", "HEATMAP_GROUPS", "LINE_GROUPS", "rank_groups", "more_groups"]

# A summary sentence names at most this many groups (beside the whole periphery).
SUMMARY_GROUPS = 5
# A group x group heatmap beyond this many groups (64 cells) becomes its table.
HEATMAP_GROUPS = 8
# A line chart beyond this many groups highlights LINE_HIGHLIGHT of them.
LINE_GROUPS = 8
LINE_HIGHLIGHT = 5


def rank_groups(values, *, limit: int = SUMMARY_GROUPS, keep=()) -> tuple[list, int]:
    """The groups a sentence names, and how many it leaves to the table.

    Parameters
    ----------
    values : sequence of (group, value)
        In the table's order. ``value`` ranks the groups by magnitude, ``|value|``
        (NaN last).
    limit : int
        With at most ``limit`` groups (``keep`` not counted) all are named in the given
        order: a four-region report reads as before.
    keep : collection
        Groups always named, first (e.g. the whole periphery).

    Returns
    -------
    (list of group, int)
        The groups to name, then the number of groups left out.
    """
    items = list(values)
    kept = [g for g, _ in items if g in keep]
    rest = [(g, v) for g, v in items if g not in keep]
    if len(rest) <= limit:
        return kept + [g for g, _ in rest], 0

    def magnitude(item):
        v = item[1]
        try:
            v = float(v)
        except (TypeError, ValueError):
            return -math.inf
        return -math.inf if math.isnan(v) else abs(v)

    # sorted() is stable: equal magnitudes keep the table's order
    top = sorted(rest, key=magnitude, reverse=True)[:limit]
    return kept + [g for g, _ in top], len(rest) - limit


def more_groups(n: int, lang: str) -> str:
    """The words that close a shortened list: "and 16 more groups (see the table)"."""
    if n <= 0:
        return ""
    return (f"；其余 {n} 组见表" if lang == "zh" else
            f"; {n} more group{'s' if n > 1 else ''} in the table")

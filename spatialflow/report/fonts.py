"""Chinese labels in matplotlib without tofu: find an installed CJK font or fall back to English.

matplotlib draws a missing glyph as an empty box ("tofu") and warns ``Glyph ... missing from
font(s)``. :func:`find_cjk_font` looks through matplotlib's font manager for a family that
really contains Chinese glyphs (checked in the font file, not guessed from the name): the
one the user names first, then Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft
YaHei, PingFang and other common families. :func:`figure_fonts` sets it for the figures.
If none is found, the report's figures use English labels and a :class:`CJKFontWarning`
says so.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

from ..exceptions import CJKFontWarning, InputError
from ._text import join, t

__all__ = ["find_cjk_font", "figure_fonts", "resolve_lang", "CJK_FAMILIES"]

#: Families tried in this order (the first installed one with Chinese glyphs wins).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC",
    "Source Han Sans SC", "Source Han Sans CN", "Source Han Sans", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
    "Hiragino Sans GB", "STHeiti", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN",
    "AR PL UKai CN", "SimSun",
)
_PROBE = "粤珠三角东西北县市"


def _covers(path: str) -> bool:
    """Whether the font file has glyphs for the probe characters (first face of a .ttc)."""
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in _PROBE)


def find_cjk_font(preferred: str | PathLike | None = None) -> str | None:
    """The family name of an installed font with Chinese glyphs, or None.

    Parameters
    ----------
    preferred : str or path, optional
        A family name, or the path of a font file (registered with matplotlib first).
        It must contain Chinese glyphs, or an :class:`InputError` is raised.
    """
    from matplotlib import font_manager

    entries = font_manager.fontManager.ttflist
    if preferred is not None:
        path = Path(preferred)
        if path.suffix.lower() in (".ttf", ".otf", ".ttc") or path.is_file():
            if not path.is_file():
                raise InputError(f"font file {str(path)!r} does not exist.")
            if not _covers(str(path)):
                raise InputError(f"font file {str(path)!r} has no Chinese glyphs ({_PROBE}).")
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
        hits = [e for e in entries if e.name.lower() == str(preferred).lower()]
        if not hits:
            raise InputError(f"font {preferred!r} is not installed (matplotlib knows "
                             f"{len({e.name for e in entries})} families).")
        if not any(_covers(e.fname) for e in hits):
            raise InputError(f"font {preferred!r} has no Chinese glyphs ({_PROBE}).")
        return hits[0].name
    by_name: dict[str, list] = {}
    for e in entries:
        by_name.setdefault(e.name, []).append(e)
    for family in CJK_FAMILIES:
        if any(_covers(e.fname) for e in by_name.get(family, [])):
            return family
    return _find_uncached_cjk_font(font_manager, {e.fname for e in entries})


#: File-name fragments of the CJK fonts in CJK_FAMILIES (lower case).
_CJK_FILE_HINTS = ("cjk", "sourcehan", "wqy", "wenquanyi", "simhei", "msyh", "pingfang",
                   "hiragino", "stheiti", "simsun", "uming", "ukai")


def _find_uncached_cjk_font(font_manager, known: set) -> str | None:
    """A CJK font installed after matplotlib built its font cache (matplotlib rebuilds the
    cache only when its own version changes, so a font installed later, e.g. Debian's
    fonts-noto-cjk, stays invisible to it): the system's font files not in the cache whose
    name suggests a CJK font and that really contain Chinese glyphs are registered for this
    process, in the order of :data:`CJK_FAMILIES`."""
    candidates = [f for f in font_manager.findSystemFonts()
                  if f not in known and any(h in Path(f).name.lower() for h in _CJK_FILE_HINTS)]
    names = {}
    for path in sorted(candidates):
        if _covers(path):
            try:
                names.setdefault(font_manager.FontProperties(fname=path).get_name(), path)
            except (OSError, RuntimeError, ValueError):
                continue
    for family in CJK_FAMILIES:
        if family in names:
            font_manager.fontManager.addfont(names[family])
            return family
    return None


def resolve_lang(lang: str, font=None) -> tuple[str, str | None, str | None]:
    """(figure language, CJK family, note) for the report's figures.

    With ``lang="zh"`` and no CJK font installed, the figures fall back to English labels
    with a :class:`CJKFontWarning` (in English) and the returned note says so in Chinese,
    for the report's notes.
    """
    if lang != "zh":
        return lang, None, None
    family = find_cjk_font(font)
    if family is None:
        tried = CJK_FAMILIES[:6]
        warnings.warn(t("note_no_cjk_font", "en", tried=join(tried, "en")), CJKFontWarning,
                      stacklevel=3)
        return "en", None, t("note_no_cjk_font", lang, tried=join(tried, lang))
    return "zh", family, None


@contextmanager
def figure_fonts(family: str | None):
    """matplotlib settings for the figures: the CJK family first when given."""
    import matplotlib as mpl

    rc = {"font.size": 10, "axes.titlesize": 11, "figure.titlesize": 13}
    if family is not None:
        # The family is named explicitly (not through the generic "sans-serif"): every
        # text object then keeps it, so the figure draws correctly when it is saved later,
        # outside this context.
        rc.update({"font.family": [family, "DejaVu Sans"],
                   "font.sans-serif": [family, "DejaVu Sans"],
                   # CJK fonts may lack U+2212; the ASCII hyphen is in every font.
                   "axes.unicode_minus": False})
    with mpl.rc_context(rc):
        yield

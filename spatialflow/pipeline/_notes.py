"""The run's notes in two languages.

A note the pipeline writes is a mapping ``{"en": ..., "zh": ...}``: the report shows it in
its language (``report.build(notes=...)`` takes either form), while stdout, README.txt and
manifest.json keep the English text. A note may also be a plain str (the reader's notes,
caught warnings, a user's ``[report] notes`` entry without a translation): it is shown as
is in every language.
"""
from __future__ import annotations

from collections.abc import Mapping


def note(en: str, zh: str) -> dict:
    """A note with its English and Chinese texts."""
    return {"en": en, "zh": zh}


def note_text(n, lang: str = "en") -> str:
    """The text of note ``n`` in ``lang``: the mapping's entry for ``lang``, else its
    English entry; a str as is (the rule of ``report.build(notes=...)``)."""
    if isinstance(n, Mapping):
        return n.get(lang, n.get("en"))
    return n

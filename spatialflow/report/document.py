"""The :class:`Report` object: tables, figures, notes, and its HTML / Markdown / LaTeX output.

``to_html`` writes ONE self-contained file: figures are embedded as base64 PNG data URIs, the
style sheet is inline, nothing refers to a network address. Every file is written
atomically: into a temporary file (or folder, :class:`spatialflow._io.AtomicFolder`) next to
the target, renamed into place only when complete, so an interrupted run never leaves a
report that looks finished.
"""
from __future__ import annotations

import base64
import functools
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from markupsafe import Markup

from .._io import AtomicFolder
from .._render import TABLE_CSS
from . import _tables, latex
from ._text import t

__all__ = ["Report", "Section"]


@dataclass
class Section:
    """One section of the evidence: a heading, an optional lead paragraph and its items.

    ``items`` holds ``("table", key)``, ``("figure", key)`` or ``("text", paragraph)``.
    """

    key: str
    title: str
    lead: str = ""
    items: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Report:
    """The core-periphery deficit report built by :func:`spatialflow.report.build`.

    Attributes
    ----------
    tables : dict[str, pandas.DataFrame]
        Every number the report shows, by key (``"deficits"``, ``"trends"``, ...).
    figures : dict[str, matplotlib.figure.Figure]
        The figures by key.
    notes : list[str]
        Data problems and model warnings (e.g. a model that did not converge).
    summary : list[tuple[str, list[str]]]
        The summary's statements, each with the keys of the tables it rests on.
    sections : list[Section]
        The order of the evidence.
    titles : dict[str, str]
        Caption of each table and figure.
    lead : str or None
        Label of the model that leads the summary, blocks, per-county effects and
        counterfactual (chosen by evidence with ``lead="auto"``; see
        ``tables["model_choice"]``); None without models.
    display : dict[str, pandas.DataFrame]
        Display copies (``lang="zh"``: Chinese headers and names) rendered instead of
        ``tables`` where present; the numbers are the same.
    """

    tables: dict[str, pd.DataFrame]
    figures: dict
    notes: list[str]
    summary: list[tuple[str, list[str]]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    title: str = ""
    lang: str = "en"
    synthetic: bool = False
    source: str | None = None
    lead: str | None = None
    display: dict = field(default_factory=dict, repr=False)
    _png: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ helpers
    def png(self, key: str) -> bytes:
        """The figure ``key`` as PNG bytes (rendered once, then cached)."""
        if key not in self._png:
            buf = io.BytesIO()
            self.figures[key].savefig(buf, format="png", dpi=100,
                                      metadata={"Software": None})
            self._png[key] = _palette_png(buf.getvalue())
        return self._png[key]

    def _table_notes(self) -> list[str]:
        notes = []
        stop, colon = ("。", "：") if self.lang == "zh" else (".", ": ")
        if self.synthetic:
            notes.append(t("synthetic_short", self.lang) + stop)
        if self.source:
            notes.append(f"{t('source', self.lang)}{colon}{self.source}")
        return notes

    def _shown(self, key: str) -> pd.DataFrame:
        return self.display.get(key, self.tables[key])

    def _caption(self, key: str) -> str:
        return self.titles.get(key, key)

    def _number(self, kind: str, key: str) -> int:
        keys = [k for s in self.sections for (what, k) in s.items if what == kind]
        return keys.index(key) + 1 if key in keys else 0

    # --------------------------------------------------------------------- HTML
    def as_html(self) -> str:
        """The report as one self-contained HTML document (a string), from the page
        template ``templates/report.html`` (jinja2, autoescaped)."""
        lang = self.lang
        foot = self._table_notes()
        sections = []
        for s in self.sections:
            blocks: list[dict] = []
            for what, key in s.items:
                if what == "figure":
                    if not blocks or blocks[-1]["kind"] != "figures":
                        blocks.append({"kind": "figures", "figures": []})
                    cap = f'{t("figure", lang)} {self._number("figure", key)}. {self._caption(key)}'
                    blocks[-1]["figures"].append({
                        "key": key, "caption": cap,
                        "data": base64.b64encode(self.png(key)).decode("ascii")})
                elif what == "table":
                    cap = f'{t("table", lang)} {self._number("table", key)}. {self._caption(key)}'
                    frame = self._shown(key)
                    body = _tables.render(frame, "html", title=cap, notes=foot, index=False)
                    # the page's head holds the table style once
                    body = Markup(body.replace(TABLE_CSS, ""))  # noqa: S704 (escaped by _render)
                    blocks.append({"kind": "table", "key": key, "caption": cap, "body": body,
                                   "rows": len(frame), "folded": len(frame) > _OPEN_ROWS})
                else:
                    blocks.append({"kind": "text", "text": key})
            sections.append({"key": s.key, "title": s.title, "lead": s.lead, "blocks": blocks})
        summary = [{"text": text, "refs": [{"key": k, "number": self._number("table", k)}
                                           for k in keys]}
                   for text, keys in self.summary]
        words = ("summary", "see", "table", "notes", "contents", "evidence", "rows",
                 "generated", "synthetic", "synthetic_short")
        return _template("report.html").render(
            html_lang="zh-CN" if lang == "zh" else "en", title=self.title,
            table_style=Markup(TABLE_CSS), synthetic=self.synthetic,  # noqa: S704
            tx={w: t(w, lang) for w in words}, summary=summary, notes=self.notes,
            sections=sections)

    def _repr_html_(self) -> str:
        return self.as_html()

    def to_html(self, path) -> Path:
        """Write the self-contained HTML report to ``path`` atomically; return the path."""
        path = Path(path)
        _atomic_write_text(path, self.as_html())
        return path

    def to_pdf(self, path, *, browser: str | None = None, timeout: float = 300) -> Path:
        """Print the HTML report to a PDF with a headless Chromium / Chrome; return the path.

        The print style sheet opens every folded table, fits wide tables to the page (cells
        wrap) and keeps each figure with its caption. ``browser`` is the executable (default:
        ``$SPATIALFLOW_CHROMIUM`` or the first of :data:`BROWSERS` on ``PATH``). The file is
        written atomically.

        Raises
        ------
        OptionalDependencyError
            No browser was found (the message says which names were looked for).
        PrintToPDFError
            The browser failed or wrote no PDF.
        """
        from ..exceptions import OptionalDependencyError, PrintToPDFError

        exe = browser or os.environ.get("SPATIALFLOW_CHROMIUM") or next(
            (found for name in BROWSERS if (found := shutil.which(name))), None)
        if not exe:
            raise OptionalDependencyError(
                "Report.to_pdf prints the HTML report with a headless Chromium or Google "
                f"Chrome; none was found on PATH (looked for {', '.join(BROWSERS)}). Install "
                "one (Debian/Ubuntu: apt-get install chromium) or pass browser='/path/to/"
                "chrome'; report.html itself prints from any browser (File > Print).")
        path = Path(path)
        with tempfile.TemporaryDirectory(prefix="spatialflow-pdf-") as tmp:
            page = Path(tmp) / "report.html"
            page.write_text(self.as_html(), encoding="utf-8")
            pdf = Path(tmp) / "report.pdf"
            cmd = [exe, "--headless", "--disable-gpu", "--no-pdf-header-footer",
                   f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={pdf}",
                   page.as_uri()]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except (OSError, subprocess.TimeoutExpired) as err:
                raise PrintToPDFError(f"{exe} could not print the report: {err}") from err
            if not pdf.exists() or pdf.stat().st_size == 0:
                tail = "\n".join((proc.stderr or "").strip().splitlines()[-5:])
                raise PrintToPDFError(f"{exe} wrote no PDF (exit code {proc.returncode}); "
                                      f"its last messages:\n{tail}")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, part = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            shutil.copyfile(pdf, part)
            os.chmod(part, 0o666 & ~_umask())
            os.replace(part, path)
        return path

    # ---------------------------------------------------------- Markdown, LaTeX
    def _write_folder(self, folder, fmt: str) -> Path:
        folder = Path(folder)
        ext = {"markdown": "md", "latex": "tex"}[fmt]
        with AtomicFolder(folder) as tmp:
            (tmp / "tables").mkdir()
            (tmp / "figures").mkdir()
            foot = self._table_notes()
            for key, frame in self.tables.items():
                if fmt == "latex":
                    text = (f"% requires \\usepackage{{{latex.PACKAGES}}} and the "
                            "\\sffit macro:\n" + latex.SFFIT + "\n"
                            + latex.table(self._shown(key), self._caption(key), key, foot,
                                          lang=self.lang))
                else:
                    text = _tables.render(self._shown(key), fmt, title=self._caption(key),
                                          notes=foot, index=False)
                (tmp / "tables" / f"{key}.{ext}").write_text(text, encoding="utf-8")
                frame.to_csv(tmp / "tables" / f"{key}.csv", index=False)
            for key in self.figures:
                (tmp / "figures" / f"{key}.png").write_bytes(self.png(key))
            (tmp / f"report.{ext}").write_text(self._document(fmt), encoding="utf-8")
        return folder

    def to_markdown(self, folder) -> Path:
        """Write ``report.md``, ``tables/*.md`` (+ CSV) and ``figures/*.png`` into ``folder``
        (built in a temporary folder and renamed into place)."""
        return self._write_folder(folder, "markdown")

    def to_latex(self, folder) -> Path:
        """Write ``report.tex``, ``tables/*.tex`` (booktabs, + CSV) and ``figures/*.png``."""
        return self._write_folder(folder, "latex")

    def _document(self, fmt: str) -> str:
        return self._latex() if fmt == "latex" else self._markdown()

    def _markdown(self) -> str:
        lang = self.lang
        foot = self._table_notes()
        out = [f"# {self.title}\n"]
        if self.synthetic:
            out.append(f"> **{t('synthetic', lang)}**\n")
        out.append(f"## {t('summary', lang)}\n")
        for text, keys in self.summary:
            refs = ", ".join(f"[{t('table', lang)} {self._number('table', k)}](#tab-{k})"
                             for k in keys)
            out.append(f"- {text} ({t('see', lang)} {refs})" if refs else f"- {text}")
        if self.notes:
            out.append(f"\n### {t('notes', lang)}\n")
            out += [f"- {n}" for n in self.notes]
        for s in self.sections:
            out.append(f"\n## {s.title}\n")
            if s.lead:
                out.append(s.lead + "\n")
            for what, key in s.items:
                if what == "table":
                    cap = f"{t('table', lang)} {self._number('table', key)}. {self._caption(key)}"
                    frame = self._shown(key)
                    out.append(f'<a id="tab-{key}"></a>\n')
                    if len(frame) > _OPEN_ROWS:
                        # a long table stays in its own file, linked (and as CSV)
                        rows = "行" if lang == "zh" else "rows"
                        out.append(f"**{cap}** ({len(frame)} {rows}): "
                                   f"[tables/{key}.md](tables/{key}.md), "
                                   f"[CSV](tables/{key}.csv)\n")
                    else:
                        out.append(_tables.render(frame, "markdown", title=cap, notes=foot,
                                                  index=False))
                elif what == "figure":
                    cap = f"{t('figure', lang)} {self._number('figure', key)}. {self._caption(key)}"
                    out.append(f"![{cap}](figures/{key}.png)\n\n*{cap}*\n")
                else:
                    out.append(key + "\n")
        return "\n".join(out) + "\n"

    def _latex(self) -> str:
        lang = self.lang
        foot = self._table_notes()
        esc = latex.escape
        body = []
        if self.synthetic:
            body.append(r"\noindent\textbf{" + esc(t("synthetic", lang)) + "}\n")
        body.append(r"\section*{" + esc(t("summary", lang)) + "}\n\\begin{itemize}")
        for text, keys in self.summary:
            refs = ", ".join(t("table", lang) + r"~\ref{tab:" + k + "}" for k in keys)
            body.append(r"\item " + esc(text)
                        + (f" ({esc(t('see', lang))} {refs})" if refs else ""))
        body.append(r"\end{itemize}")
        if self.notes:
            body.append(r"\subsection*{" + esc(t("notes", lang)) + "}\n\\begin{itemize}")
            body += [r"\item " + esc(n) for n in self.notes]
            body.append(r"\end{itemize}")
        for s in self.sections:
            body.append(r"\section{" + esc(s.title) + "}")
            if s.lead:
                body.append(esc(s.lead) + "\n")
            for what, key in s.items:
                if what == "table":
                    body.append(latex.table(self._shown(key), self._caption(key), key, foot,
                                            lang=lang))
                elif what == "figure":
                    body.append(latex.figure(f"figures/{key}.png", self._caption(key), key))
                else:
                    body.append(esc(key) + "\n")
        body.append(r"\end{document}")
        text = "\n".join(body) + "\n"
        head = latex.preamble(self.title, lang, cjk=latex.has_cjk(text + self.title))
        return head + text


def _palette_png(data: bytes) -> bytes:
    """Re-encode an RGBA PNG as an 8-bit palette PNG (256 colours, no dithering).

    Figures are flat colours, lines and anti-aliased text on white: 256 colours keep them
    visually the same at a quarter of the size (PNG mode "P", Pillow's median cut).
    """
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        rgb = Image.new("RGB", img.size, "white")
        rgb.paste(img, mask=img.getchannel("A") if img.mode == "RGBA" else None)
    pal = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    pal.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file in the target's folder, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp creates the file private (0600); give it the usual permissions.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        # Leave nothing half-written behind, whatever interrupted us; then re-raise.
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_OPEN_ROWS = 40
#: Executables :meth:`Report.to_pdf` looks for on PATH, in this order.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
            "msedge")


@functools.lru_cache(maxsize=None)
def _template(name: str):
    """A page template of ``spatialflow/report/templates`` (jinja2, HTML-autoescaped;
    ``trim_blocks``/``lstrip_blocks`` so that block tags leave no blank lines)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("spatialflow.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template(name)

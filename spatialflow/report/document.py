"""The :class:`Report` object: tables, figures, notes, and its HTML / Markdown / LaTeX output.

``to_html`` writes ONE self-contained file: figures are embedded as base64 PNG data URIs, the
style sheet is inline, nothing refers to a network address. Every file is written
atomically: into a temporary file (or folder, :class:`spatialflow._io.AtomicFolder`) next to
the target, renamed into place only when complete, so an interrupted run never leaves a
report that looks finished.
"""
from __future__ import annotations

import base64
import html
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._io import AtomicFolder
from .._render import _HTML_STYLE as _TABLE_STYLE
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
        """The report as one self-contained HTML document (a string)."""
        lang = self.lang
        e = html.escape
        parts = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">',
                 '<head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 f"<title>{e(self.title)}</title><style>{_CSS}</style>",
                 _TABLE_STYLE, _PRINT_SCRIPT, "</head><body>"]
        if self.synthetic:
            parts.append(f'<div class="sf-banner">{e(t("synthetic", lang))}</div>')
        parts.append(f'<main class="sf-report"><h1>{e(self.title)}</h1>')
        # Summary first: each statement links to the tables that hold its numbers.
        parts.append(f'<section id="summary"><h2>{e(t("summary", lang))}</h2><ul class="sf-findings">')
        for text, keys in self.summary:
            refs = ", ".join(f'<a href="#tab-{e(k)}">{e(t("table", lang))} '
                             f'{self._number("table", k)}</a>' for k in keys)
            suffix = f' <span class="sf-ref">({e(t("see", lang))} {refs})</span>' if refs else ""
            parts.append(f"<li>{e(text)}{suffix}</li>")
        parts.append("</ul>")
        if self.notes:
            parts.append(f'<div class="sf-notes"><h3>{e(t("notes", lang))}</h3><ul>'
                         + "".join(f"<li>{e(n)}</li>" for n in self.notes) + "</ul></div>")
        parts.append("</section>")
        parts.append(f'<nav class="sf-toc"><h2>{e(t("contents", lang))}</h2><ol>'
                     + "".join(f'<li><a href="#sec-{e(s.key)}">{e(s.title)}</a></li>'
                               for s in self.sections) + "</ol></nav>")
        parts.append(f'<h2 class="sf-evidence">{e(t("evidence", lang))}</h2>')
        foot = self._table_notes()
        for s in self.sections:
            parts.append(f'<section id="sec-{e(s.key)}"><h2>{e(s.title)}</h2>')
            if s.lead:
                parts.append(f'<p class="sf-lead">{e(s.lead)}</p>')
            grid_open = False
            for what, key in s.items:
                if what == "figure":
                    if not grid_open:
                        parts.append('<div class="sf-figures">')
                        grid_open = True
                    data = base64.b64encode(self.png(key)).decode("ascii")
                    cap = f'{t("figure", lang)} {self._number("figure", key)}. {self._caption(key)}'
                    parts.append(f'<figure id="fig-{e(key)}"><img alt="{e(cap)}" '
                                 f'src="data:image/png;base64,{data}"><figcaption>{e(cap)}'
                                 "</figcaption></figure>")
                    continue
                if grid_open:
                    parts.append("</div>")
                    grid_open = False
                if what == "table":
                    cap = f'{t("table", lang)} {self._number("table", key)}. {self._caption(key)}'
                    frame = self._shown(key)
                    parts.append(f'<div class="sf-table-wrap" id="tab-{e(key)}">')
                    body = _tables.render(frame, "html", title=cap, notes=foot, index=False)
                    body = body.replace(_TABLE_STYLE, "")  # the head holds it once
                    if len(frame) > _OPEN_ROWS:
                        # Long tables fold away so the page stays readable; every row is
                        # still in the file (and printed: see the print style).
                        parts.append(f'<details><summary>{e(cap)} <span class="sf-ref">('
                                     f'{len(frame)} {e(t("rows", lang))})</span></summary>'
                                     f"{body}</details>")
                    else:
                        parts.append(body)
                    parts.append("</div>")
                else:
                    parts.append(f"<p>{e(key)}</p>")
            if grid_open:
                parts.append("</div>")
            parts.append("</section>")
        parts.append(f'<footer>{e(t("generated", lang))}'
                     + (f' · {e(t("synthetic_short", lang))}' if self.synthetic else "")
                     + "</footer></main></body></html>\n")
        return "\n".join(parts)

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

# Printing opens every folded table (and closes again those the reader had closed).
_PRINT_SCRIPT = """<script>
addEventListener("beforeprint", () => document.querySelectorAll("details:not([open])")
  .forEach(d => { d.open = true; d.dataset.sfFolded = "1"; }));
addEventListener("afterprint", () => document.querySelectorAll("details[data-sf-folded]")
  .forEach(d => { d.open = false; delete d.dataset.sfFolded; }));
</script>"""

_CSS = """
:root { --ink:#1d2530; --muted:#5b6675; --rule:#d5dbe3; --accent:#1f5f99; }
* { box-sizing: border-box; }
body { margin:0; font-family: "Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",
  "PingFang SC","Helvetica Neue",Arial,sans-serif; color:var(--ink); background:#fff;
  line-height:1.45; }
.sf-banner { background:#b3261e; color:#fff; font-weight:700; padding:.6rem 2rem;
  position:sticky; top:0; z-index:5; }
.sf-report { width:100%; max-width:1500px; margin:0 auto; padding:1rem 2rem 3rem; }
h1 { font-size:1.9rem; margin:.6rem 0 1rem; }
h2 { font-size:1.4rem; border-bottom:2px solid var(--rule); padding-bottom:.2rem;
  margin-top:2.2rem; }
.sf-findings li { margin:.35rem 0; font-size:1.05rem; }
.sf-ref { color:var(--muted); font-size:.92rem; }
a { color:var(--accent); }
.sf-notes { background:#fff8e1; border-left:4px solid #f0b400; padding:.4rem 1rem;
  margin-top:1rem; }
.sf-toc ol { columns:2; }
.sf-lead { max-width:110ch; }
.sf-figures { display:flex; flex-direction:column; gap:1.2rem; margin:1rem 0; }
figure { margin:0; border:1px solid var(--rule); padding:.5rem; background:#fff;
  width:fit-content; max-width:100%; }
figure img { max-width:100%; height:auto; display:block; }
figcaption { color:var(--muted); font-size:.9rem; margin-top:.3rem; }
.sf-table-wrap { overflow-x:auto; margin:1rem 0 1.6rem; }
/* The package renderer's tables, widened for the report (its own style keeps them compact
   for notebooks). */
.sf-report .sf-summary { display:block; width:100%; font-size:.9rem; }
.sf-report .sf-summary h4 { text-align:left; font-size:1rem; margin:.2rem 0 .4rem; }
.sf-report .sf-summary table.sf-table td, .sf-report .sf-summary table.sf-table th {
  padding:.2rem .6rem; white-space:nowrap; }
.sf-report .sf-summary table.sf-table tbody tr:nth-child(even) { background:#f7f9fb; }
details > summary { cursor:pointer; font-weight:600; padding:.3rem 0; }
.sf-note { color:var(--muted); font-size:.85rem; margin:.2rem 0; }
footer { margin-top:3rem; color:var(--muted); font-size:.85rem; }
@page { size:A4; margin:1.2cm; }
@media print {
  .sf-banner { position:static; }
  .sf-report { max-width:none; padding:0; }
  .sf-toc { display:none; }
  a { color:inherit; text-decoration:none; }
  /* Every folded table prints: Chromium hides a closed <details>' content in its own slot,
     which ::details-content opens without script; the beforeprint script also sets open. */
  details::details-content { content-visibility:visible; display:contents; }
  details > summary { display:none; }
  /* No column is lost: tables fit the page width, cells wrap, headers repeat per page. */
  .sf-table-wrap { overflow:visible; }
  .sf-report .sf-summary, .sf-report .sf-summary table.sf-table { width:100%; }
  .sf-report .sf-summary table.sf-table { font-size:7pt; table-layout:auto; }
  .sf-report .sf-summary table.sf-table td, .sf-report .sf-summary table.sf-table th {
    white-space:normal; overflow-wrap:break-word; padding:1px 3px; }
  thead { display:table-header-group; }
  table.sf-table tr { break-inside:avoid; }
  /* a figure stays with its caption */
  figure { break-inside:avoid; page-break-inside:avoid; border:none; }
  figure img { max-height:24cm; }
  h2, h3, h4 { break-after:avoid; }
}
"""

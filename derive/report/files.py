"""Writing reports to disk: atomically, only inside the output folder."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from derive.model import FileResult, RunResult
from derive.report.atomic import write_atomic
from derive.report.html import render_html
from derive.report.latex import render_latex
from derive.report.note_html import render_note_html
from derive.report.note_latex import render_note_latex
from derive.report.pdf import LatexError, build_pdf, latin_engine, unicode_engine
from derive.report.tex_common import Tex

__all__ = ["FORMATS", "VIEWS", "ReportError", "write_atomic", "write_reports"]

FORMATS = ("html", "tex", "pdf")
VIEWS = ("note", "chains")  # the whole document annotated (default), or its chains only

Warn = Callable[[str], None]


class ReportError(RuntimeError):
    """A report could not be written (bad format, unsafe path, missing tool)."""


def _source(file_result: FileResult) -> str | None:
    """The document's text: as checked, else read again; None when it cannot be read."""
    if file_result.source:
        return file_result.source
    try:
        text = Path(file_result.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _stem(path: str) -> str:
    stem = Path(path.replace("\\", "/")).stem
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._") or "report"
    return stem[:120]


def _stems(files: list[FileResult]) -> list[str]:
    """One distinct output stem per input file (``notes``, ``a_notes`` …)."""
    plain = [_stem(f.path) for f in files]
    seen: dict[str, int] = {}
    out: list[str] = []
    for file_result, stem in zip(files, plain, strict=True):
        if plain.count(stem) > 1:
            parts = Path(file_result.path.replace("\\", "/")).with_suffix("").parts
            stem = (
                re.sub(r"[^\w.-]+", "_", "_".join(p for p in parts if p not in ("/", ".."))).strip(
                    "._"
                )
                or stem
            )
        key = stem.lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            stem = f"{stem}-{seen[key]}"
        out.append(stem)
    return out


def _inside(folder: Path, target: Path) -> Path:
    resolved = target.resolve()
    if resolved.parent != folder:
        raise ReportError(f"refusing to write {target}: outside the output folder {folder}")
    return resolved


def render_tex(file_result: FileResult, title: str, view: str, tex: Tex) -> str:
    """The LaTeX of one report (note or chains view) for ``tex``'s engine."""
    source = _source(file_result) if view == "note" else None
    if source is None:
        return render_latex(file_result, title=title, tex=tex)
    return render_note_latex(file_result, source, title=title, tex=tex)


def write_pdf(
    file_result: FileResult, title: str, view: str, target: Path, warn: Warn
) -> Path:
    """Typeset and compile one PDF: XeLaTeX when every script can be set, else pdflatex.

    When LaTeX cannot typeset one of the document's formulas, the PDF is made
    again with every formula shown as its source, and ``warn`` says so."""
    engine = unicode_engine() or latin_engine()
    if engine is None:
        raise ReportError(
            "neither xelatex nor pdflatex is installed: cannot write PDF reports "
            "(install TeX Live, as `.ci/run` does; or ask for html,tex)"
        )
    unicode = engine == unicode_engine()
    tex = Tex(unicode=unicode)
    try:
        build = build_pdf(render_tex(file_result, title, view, tex), target, engine=engine)
    except LatexError as first:
        if first.timed_out:  # the same document as source would take as long
            raise
        tex = Tex(unicode=unicode, safe=True)
        build = build_pdf(render_tex(file_result, title, view, tex), target, engine=engine)
        reason = str(first).strip().splitlines()
        warn(
            f"{target.name}: LaTeX could not typeset a formula of {file_result.path}, "
            f"so every formula is shown as its source ({reason[1] if len(reason) > 1 else ''})"
        )
    if tex.lost:
        warn(
            f"{target.name}: made with pdflatex, which cannot show {len(tex.lost)} characters "
            f"of {file_result.path} (shown as ?): {''.join(list(tex.lost)[:20])}"
        )
    if build.missing:
        warn(
            f"{target.name}: no installed font has {len(build.missing)} characters of "
            f"{file_result.path}: {''.join(build.missing[:20])}"
        )
    return build.path


def write_reports(
    run: RunResult,
    out_dir: str | Path,
    formats: set[str] | frozenset[str] | list[str] | tuple[str, ...],
    *,
    view: str = "note",
    warn: Warn | None = None,
) -> list[Path]:
    """Write ``<stem>.html`` / ``<stem>.tex`` / ``<stem>.pdf`` for every file of ``run``.

    ``view``: ``note`` (the whole document with its verdicts) or ``chains``.
    Returns the written paths in order.  Never writes outside ``out_dir`` and
    never over a source document: a report whose name would be a checked
    file's own path gets the suffix ``.report`` (``notes.report.tex``).
    ``warn`` hears about characters a PDF could not show.  Raises
    :class:`ReportError` for unknown formats or views, or for ``pdf`` when no
    LaTeX is installed; :class:`derive.report.pdf.LatexError` when LaTeX fails.
    """
    warn = warn or (lambda message: None)
    wanted = {f.strip().lower() for f in formats if f.strip()}
    unknown = wanted - set(FORMATS)
    if unknown:
        raise ReportError(
            f"unknown report format(s): {', '.join(sorted(unknown))} (use {', '.join(FORMATS)})"
        )
    if view not in VIEWS:
        raise ReportError(f"unknown view {view!r} (use {' or '.join(VIEWS)})")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    sources = set()
    for f in run.files:
        try:
            sources.add(Path(f.path).resolve())
        except OSError:  # pragma: no cover
            pass

    def target(stem: str, ext: str) -> Path:
        path = _inside(folder, folder / f"{stem}.{ext}")
        if path in sources:
            path = _inside(folder, folder / f"{stem}.report.{ext}")
        return path

    written: list[Path] = []
    for file_result, stem in zip(run.files, _stems(run.files), strict=True):
        title = f"{Path(file_result.path).name} — derive report"
        if "html" in wanted:
            source = _source(file_result) if view == "note" else None
            page = (
                render_note_html(file_result, source, title=title)
                if source is not None
                else render_html(file_result, title=title)
            )
            written.append(write_atomic(target(stem, "html"), page))
        if "tex" in wanted:
            unicode = unicode_engine() is not None or latin_engine() is None
            tex = render_tex(file_result, title, view, Tex(unicode=unicode))
            written.append(write_atomic(target(stem, "tex"), tex))
        if "pdf" in wanted:
            written.append(write_pdf(file_result, title, view, target(stem, "pdf"), warn))
    return written

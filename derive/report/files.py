"""Writing reports to disk: atomically, only inside the output folder."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from derive.model import FileResult, RunResult

FORMATS = ("html", "tex", "pdf")


class ReportError(RuntimeError):
    """A report could not be written (bad format, unsafe path, missing tool)."""


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.

    The data goes to a temporary file in the same folder, is flushed to disk,
    then renamed over ``path`` with ``os.replace``.  On any failure the
    temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp_name, 0o644)
        except OSError:  # pragma: no cover - exotic file systems
            pass
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return path


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


def write_reports(
    run: RunResult,
    out_dir: str | Path,
    formats: set[str] | frozenset[str] | list[str] | tuple[str, ...],
) -> list[Path]:
    """Write ``<stem>.html`` / ``<stem>.tex`` / ``<stem>.pdf`` for every file of ``run``.

    Returns the written paths in order.  Never writes outside ``out_dir`` and
    never over a source document: a report whose name would be a checked
    file's own path gets the suffix ``.report`` (``notes.report.tex``).
    Raises :class:`ReportError` for unknown formats, or for ``pdf`` when
    pdflatex is not installed; :class:`derive.report.latex.LatexError` when
    pdflatex fails.
    """
    from derive.report.html import render_html
    from derive.report.latex import compile_pdf, render_latex

    wanted = {f.strip().lower() for f in formats if f.strip()}
    unknown = wanted - set(FORMATS)
    if unknown:
        raise ReportError(
            f"unknown report format(s): {', '.join(sorted(unknown))} (use {', '.join(FORMATS)})"
        )
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
            written.append(
                write_atomic(target(stem, "html"), render_html(file_result, title=title))
            )
        if "tex" in wanted or "pdf" in wanted:
            tex = render_latex(file_result, title=title)
            if "tex" in wanted:
                written.append(write_atomic(target(stem, "tex"), tex))
            if "pdf" in wanted:
                pdf_target = target(stem, "pdf")
                with tempfile.TemporaryDirectory(prefix="derive-report-") as tmp:
                    tex_tmp = Path(tmp) / "report.tex"
                    tex_tmp.write_text(tex, encoding="utf-8")
                    result = compile_pdf(tex_tmp, pdf_target)
                if result is None:
                    raise ReportError(
                        "pdflatex is not installed: cannot write PDF reports "
                        "(install TeX Live, e.g. `.ci/run` does; or ask for html,tex)"
                    )
                written.append(result)
    return written

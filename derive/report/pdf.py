"""PDF from a report's LaTeX: the engine, the compile, what could not be shown.

XeLaTeX with xeCJK and the Noto CJK fonts when the machine has them (every
script of a note is kept), pdflatex otherwise (Latin-1 only; the report then
says which characters it replaced).  The compile runs in a temporary folder,
without shell escape, under a time bound, twice when the tables need it; the
PDF is moved into place atomically and nothing else is written.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from derive.report.atomic import write_atomic

UNICODE_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC", "Noto Sans Mono CJK SC", "DejaVu Serif")
UNICODE_PACKAGES = ("fontspec.sty", "xeCJK.sty", "ctexhook.sty")
COMPILE_SECONDS = 120.0


class LatexError(RuntimeError):
    """LaTeX failed; the message ends with the tail of its log."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass
class PdfBuild:
    path: Path
    engine: str  # "xelatex" or "pdflatex"
    missing: list[str] = field(default_factory=list)  # characters no font had


@cache
def unicode_engine() -> str | None:
    """The path of xelatex when it can set every script (xeCJK, Noto CJK, DejaVu), else None."""
    xelatex = shutil.which("xelatex")
    kpsewhich = shutil.which("kpsewhich")
    fc_list = shutil.which("fc-list")
    if not (xelatex and kpsewhich and fc_list):
        return None
    try:
        found = subprocess.run(
            [kpsewhich, *UNICODE_PACKAGES], capture_output=True, text=True, timeout=30
        ).stdout.split()
        if len(found) < len(UNICODE_PACKAGES):
            return None
        families = subprocess.run(
            [fc_list, ":", "family"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = {name.strip() for line in families.splitlines() for name in line.split(",")}
    return xelatex if all(font in names for font in UNICODE_FONTS) else None


def latin_engine() -> str | None:
    return shutil.which("pdflatex")


def _log_tail(log: str, lines: int = 30) -> str:
    text = log.splitlines()
    # The first error line is the most useful; show from it when present.
    for i, line in enumerate(text):
        if line.startswith("!"):
            return "\n".join(text[i : i + lines])
    return "\n".join(text[-lines:])


_MISSING = re.compile(r"Missing character: There is no (.) \(U\+([0-9A-F]+)\)")


def missing_characters(log: str) -> list[str]:
    """Characters XeLaTeX had no glyph for, from its log, once each."""
    return list(dict.fromkeys(chr(int(code, 16)) for _, code in _MISSING.findall(log)))


def build_pdf(
    tex: str, target: str | Path, *, engine: str, timeout: float = COMPILE_SECONDS
) -> PdfBuild:
    """Compile the LaTeX source ``tex`` with ``engine`` (a path) into ``target``."""
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as tmp:
        work = Path(tmp)
        (work / "report.tex").write_text(tex, encoding="utf-8")
        cmd = [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
               "report.tex"]
        log = ""
        for _ in range(3):  # longtable widths settle on the second run
            try:
                proc = subprocess.run(
                    cmd,
                    cwd=work,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise LatexError(
                    f"{Path(engine).name} timed out after {timeout:g} s", timed_out=True
                ) from exc
            log_file = work / "report.log"
            log = (
                log_file.read_text(encoding="utf-8", errors="replace")
                if log_file.exists()
                else proc.stdout.decode("utf-8", errors="replace")
            )
            if proc.returncode != 0 or not (work / "report.pdf").exists():
                raise LatexError(
                    f"{Path(engine).name} failed (exit {proc.returncode}):\n{_log_tail(log)}"
                )
            if "Rerun to get" not in log and "Table widths have changed" not in log:
                break
        write_atomic(target, (work / "report.pdf").read_bytes())
    return PdfBuild(target, Path(engine).name, missing_characters(log))


def compile_pdf(
    tex_path: str | Path, pdf_path: str | Path | None = None, *, timeout: float = 60.0
) -> Path | None:
    """Compile the ``.tex`` file ``tex_path`` (its first line names the engine:
    ``% !TEX program = xelatex``).  Returns the PDF's path (default: beside the
    .tex), or None when that engine is not installed; raises :class:`LatexError`."""
    tex_path = Path(tex_path)
    source = tex_path.read_text(encoding="utf-8")
    wants_unicode = source.startswith("% !TEX program = xelatex")
    engine = (unicode_engine() or shutil.which("xelatex")) if wants_unicode else latin_engine()
    if engine is None:
        return None
    target = Path(pdf_path) if pdf_path is not None else tex_path.with_suffix(".pdf")
    try:
        return build_pdf(source, target, engine=engine, timeout=timeout).path
    except LatexError as exc:
        raise LatexError(f"{exc} (on {tex_path})") from exc

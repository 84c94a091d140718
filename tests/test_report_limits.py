"""Bad input for the reports: 10,000 steps, a line of 1 MB, a context with 1,000 blocks.
Each report is still written (atomically, whole) and opens; nothing is lost silently."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from browser import require_tool, run_chromium

from derive.api import check_text
from derive.model import ChainResult, FileResult, RunResult, StepResult, summarise
from derive.report import files as report_files
from derive.report import render_note_latex, write_reports
from derive.report.pdf import LatexError
from derive.report.tex_common import MAX_MATH, Tex


def many_steps(steps: int) -> FileResult:
    """A document of one-line chains, two steps each, every tenth step refuted."""
    lines = ["# Many steps", ""]
    chains = []
    for k in range(0, steps, 2):
        line = len(lines) + 1
        lines += [f"$$ (x+{k})^2 = x^2 + {2 * k}x + {k * k} = (x+{k})(x+{k}) $$", ""]
        made = []
        for j in range(2):
            bad = (k + j) % 10 == 0
            made.append(
                StepResult(
                    line=line, from_line=line, lhs=f"(x+{k})^2", rhs=f"x^2 + {2 * k}x",
                    verdict="refuted" if bad else "proved",
                    residual=f"{k} x" if bad else None,
                    counterexample={"x": "1"} if bad else None,
                    counterexample_latex={"x": "1"} if bad else None,
                )
            )
        chains.append(ChainResult(id=f"m:{line}", name=f"c{k}", path="many.md", line=line,
                                  steps=made))
    return FileResult(path="many.md", chains=chains, source="\n".join(lines) + "\n")


def one_run(file: FileResult) -> RunResult:
    return RunResult([file], summarise([file], 0.0))


def test_ten_thousand_steps_make_a_whole_html_report_that_opens(tmp_path):
    file = many_steps(10_000)
    (page,) = write_reports(one_run(file), tmp_path, {"html"})
    html = page.read_text(encoding="utf-8")
    assert html.count('<div class="row') == 5_000  # every row, none dropped
    assert len(re.findall(r"<div class=\"row[^\"]*is-refuted", html)) == 1_000
    assert html.rstrip().endswith("</html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.html"]  # no temp file left
    proc = run_chromium(page, tmp_path, "--dump-dom", "--window-size=1024,800")
    assert proc.returncode == 0 and proc.stdout.count('class="row') == 5_000


def test_ten_thousand_steps_make_latex_with_every_row(tmp_path):
    file = many_steps(10_000)
    tex = render_note_latex(file, file.source, title="many")
    assert tex.count(r"\lineno{") == 5_000 and tex.rstrip().endswith(r"\end{document}")


def test_a_thousand_steps_compile_to_pdf(tmp_path):
    require_tool("xelatex", "pdflatex")
    (pdf,) = write_reports(one_run(many_steps(1_000)), tmp_path, {"pdf"})
    assert pdf.read_bytes()[:5] == b"%PDF-"


MEGABYTE = 1_000_000


def test_a_line_of_a_megabyte_in_prose_and_in_math(tmp_path):
    require_tool("xelatex", "pdflatex")
    prose = "word " * (MEGABYTE // 5)
    formula = "x+" * (MEGABYTE // 2) + "1"
    document = f"# Long\n\n{prose}\n\n$$ y = {formula} $$\n\n$$ a = a $$\n"
    result = check_text(document, path="long.md")
    written = write_reports(one_run(result), tmp_path, {"html", "pdf"})
    html = written[0].read_text(encoding="utf-8")
    assert html.count("word") >= MEGABYTE // 5  # the HTML keeps all of it
    assert len(formula) > MAX_MATH and '<code class="tex">' in html  # shown as its source
    assert written[1].read_bytes()[:5] == b"%PDF-"
    pdftotext = require_tool("pdftotext")
    text = subprocess.run([pdftotext, str(written[1]), "-"], capture_output=True, text=True,
                          timeout=120, check=True).stdout
    assert "more characters, shown in the HTML report" in text


def test_a_long_formula_is_never_typeset_by_latex():
    assert Tex().clean_math("x+" * MAX_MATH) is None


def test_a_context_with_a_thousand_blocks(tmp_path):
    selectors = "\n".join(f"  - line: {i + 1}\n    cases: 'q \\neq {i}'" for i in range(1000))
    (tmp_path / "note.derive.yaml").write_text(f"blocks:\n{selectors}\n", encoding="utf-8")
    (tmp_path / "note.md").write_text("# N\n\n$$ (a+b)^2 = a^2 + 2ab + b^2 $$\n",
                                      encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "derive", "report", "note.md", "-o", "out", "--format", "html"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "proved" in (tmp_path / "out" / "note.html").read_text(encoding="utf-8")


def test_a_pdf_that_fails_leaves_the_old_report_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "note.pdf"
    target.write_bytes(b"%PDF- old")

    def fails(*args, **kwargs):
        raise LatexError("xelatex failed (exit 1):\n! boom")

    monkeypatch.setattr(report_files, "build_pdf", fails)
    monkeypatch.setattr(report_files, "unicode_engine", lambda: "/bin/true")
    result = check_text("$$ a = a $$\n", path="note.md")
    with pytest.raises(LatexError):
        write_reports(one_run(result), tmp_path, {"pdf"})
    assert target.read_bytes() == b"%PDF- old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.pdf"]


def test_report_code_bounds_its_loops_on_hostile_display_math():
    # unbalanced braces, nested environments and stray row breaks: rows still come out
    from derive.report.outline import split_rows

    latex = "\\begin{aligned}" + "{" * 500 + "a & b \\\\ " * 200 + "\\end{aligned}"
    rows, _ = split_rows(latex, 1)
    assert len(rows) >= 200
    assert re.search(r"a", rows[0].latex)

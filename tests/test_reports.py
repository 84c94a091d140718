"""Reports: terminal text, JSON (schema), HTML (in headless Chromium), LaTeX/PDF, files."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from rich.cells import cell_len

from derive.model import ChainResult, FileResult, Problem, RunResult, StepResult, summarise
from derive.report import (
    LatexError,
    ReportError,
    compile_pdf,
    dumps,
    render_html,
    render_latex,
    render_problems,
    render_text,
    schema,
    to_json,
    write_atomic,
    write_reports,
)
from derive.report import atomic as report_atomic
from derive.report.html import sanitize_mathml
from derive.report.latex import escape_text
from derive.report.tex_common import Tex
from derive.report.text import render_summary

REPORT_DIR = Path(__file__).resolve().parents[1] / "derive" / "report"
SOFTMAX_RESIDUAL = r"\frac{e^{z_1}}{\left(e^{z_1}+e^{z_2}\right)^{2}}"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


# --------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------


def sample_run() -> RunResult:
    path = "derivations/cross_entropy.md"
    bracket = r"-\left[y \frac{1}{a} - (1-y)\frac{1}{1-a}\right] \sigma'(z) x"
    steps = [
        StepResult(
            line=89,
            from_line=88,
            lhs=r"\frac{\partial L}{\partial w}",
            rhs=bracket,
            verdict="proved",
            method="canonical",
            seconds=0.004,
        ),
        StepResult(
            line=90,
            from_line=89,
            lhs=bracket,
            rhs=r"\sum_{j=1}^{m} (a_j - y_j) x_j",
            verdict="bounded",
            method="instantiated m=1..4",
            seconds=0.31,
        ),
        StepResult(
            line=91,
            from_line=90,
            lhs=r"\sum_{j=1}^{m} (a_j - y_j) x_j",
            rhs=r"\binom{10}{6}0.6^6 0.4^4",
            verdict="numeric",
            relation="approx",
            method="numeric-probe",
            seconds=0.02,
        ),
        StepResult(
            line=92,
            from_line=91,
            lhs=r"\binom{10}{6}0.6^6 0.4^4",
            rhs=r"\frac{e^{z_1}}{e^{z_1}+e^{z_2}} + \text{<script>alert(2)</script>}",
            verdict="refuted",
            method="numeric-probe",
            culprit=True,
            residual=SOFTMAX_RESIDUAL,
            ratio=r"1 + e^{z_2 - z_1}",
            counterexample={"z_1": "0", "z_2": "1/2"},
            values={"lhs": "0.2508", "rhs": r"\frac{1}{1+e^{1/2}}"},
            message="a <script>alert('x')</script> & co: chain rule written without its sum",
            expected="refuted",
            expected_culprit=True,
            seconds=0.05,
        ),
        StepResult(
            line=93,
            from_line=92,
            lhs=r"\frac{e^{z_1}}{e^{z_1}+e^{z_2}} + \text{<script>alert(2)</script>}",
            rhs=r"\log{(1-a)} + \operatorname{sigmoid}(x)",
            verdict="refuted",
            method="canonical",
            residual="x - 1",
            counterexample={"x": "2"},
            message="sides differ",
        ),
        StepResult(
            line=94,
            from_line=93,
            lhs=r"\log{(1-a)} + \operatorname{sigmoid}(x)",
            rhs=r"\int_0^1 \Gamma(t)\,dt",
            verdict="undecided",
            method="simplify",
            message="timed out after 5 s",
            expected="proved",
            seconds=5.0,
        ),
        StepResult(
            line=95,
            from_line=94,
            lhs=r"\int_0^1 \Gamma(t)\,dt",
            rhs=r"\left( \frac{a}{b} \weird{x} 50% & #",
            verdict="unparsed",
            message="cannot read '\\weird' at column 12",
        ),
    ]
    chain = ChainResult(
        id="cross_entropy:88",
        name="bce-gradient-w",
        path=path,
        line=88,
        section=("交叉熵 Cross entropy", "Gradient & <b>bold</b>"),
        steps=steps,
        notes=["L redefined at line 40"],
        pinned=True,
    )
    chain2 = ChainResult(
        id="cross_entropy:120",
        name="sigmoid-derivative",
        path=path,
        line=120,
        section=("Sigmoid",),
        steps=[
            StepResult(
                line=121,
                from_line=120,
                lhs=r"\sigma'(t)",
                rhs=r"\sigma(t)(1-\sigma(t))",
                verdict="proved",
                method="simplify",
                seconds=0.2,
            )
        ],
    )
    problems = [
        Problem(
            path=path, line=3, column=5, message="YAML front matter: bad indent", fragment="derive:"
        ),
        Problem(path=path, line=0, message="file has a BOM"),
    ]
    f1 = FileResult(path=path, chains=[chain, chain2], problems=problems)
    return RunResult(files=[f1], summary=summarise([f1], 1.3))


def require_tool(*names: str) -> str:
    """Path of the first tool found; a missing tool fails in CI and skips elsewhere."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{names[0]} is not installed in CI (.ci/run must install it)")
    pytest.skip(f"{names[0]} not installed; .ci/run installs it")


def run_chromium(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    chromium = require_tool("chromium", "chromium-browser")
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL
    )


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


PROBE = """<pre id="probe"></pre><script>
(function () {
  var boxes = Array.prototype.map.call(document.querySelectorAll('math'), function (m) {
    var r = m.getBoundingClientRect();
    return [m.querySelector('mfrac') ? 1 : 0, r.width, r.height];
  });
  document.getElementById('probe').textContent = JSON.stringify(boxes);
})();
</script>"""


def probe_copy(page_html: str, folder: Path) -> Path:
    """A TEST COPY of the page with a script that writes every <math>'s box into the DOM.

    The report itself forbids scripts (Content-Security-Policy); the copy drops that.
    """
    copy = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page_html)
    copy = copy.replace("</body>", PROBE + "</body>")
    path = folder / "probe.html"
    path.write_text(copy, encoding="utf-8")
    return path


# --------------------------------------------------------------------------
# terminal text
# --------------------------------------------------------------------------


@pytest.mark.parametrize("verbose", [False, True])
@pytest.mark.parametrize("color", [False, True])
def test_text_report_fits_80_columns_and_shows_verdicts_and_culprit(color, verbose):
    out = render_text(sample_run(), verbose=verbose, color=color)
    plain = ANSI.sub("", out)
    *body, summary = plain.splitlines()  # the summary is one line, however long
    assert summary == render_summary(sample_run())
    assert max(cell_len(line) for line in body) <= 80
    for word in ("✓ proved", "✓ bounded", "≈ numeric", "✗ refuted", "? undecided", "! unparsed"):
        assert word in plain
    assert "88→89" in plain
    assert "culprit: line 92" in plain
    assert "counterexample: z_1 = 0, z_2 = 1/2" in plain
    assert "residual:" in plain and "ratio:" in plain
    assert "expected proved" in plain  # an unmet expectation is named
    assert "交叉熵 Cross entropy" in plain
    assert bool(ANSI.search(out)) is color


def test_text_summary_line_counts_verdicts_expected_and_time():
    out = render_text(sample_run(), color=False)
    last = out.strip().splitlines()[-1]
    assert last.startswith("8 steps: 2 proved, 1 bounded, 1 numeric, 2 refuted (1 expected)")
    assert "1 culprit line" in last and "3 steps failing" in last
    assert last.endswith("in 1.3 s")


def test_problems_are_listed_as_path_line_column():
    out = render_problems(sample_run().files[0].problems, color=False)
    lines = out.strip().splitlines()
    assert lines[0].startswith("derivations/cross_entropy.md:3:5: YAML front matter: bad indent")
    assert lines[1] == "derivations/cross_entropy.md: file has a BOM"


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------


def _declared(schema_doc: dict, name: str) -> set[str]:
    return set(schema_doc["$defs"][name]["properties"])


def test_json_validates_against_schema_and_declares_every_key():
    doc = to_json(sample_run())
    sch = schema()
    jsonschema.Draft202012Validator.check_schema(sch)
    jsonschema.Draft202012Validator(sch).validate(doc)
    jsonschema.Draft202012Validator(sch).validate(json.loads(dumps(sample_run())))
    assert set(doc) <= set(sch["properties"])
    assert set(doc["summary"]) <= _declared(sch, "summary")
    for file_doc in doc["files"]:
        assert set(file_doc) <= _declared(sch, "file")
        for error in file_doc["errors"]:
            assert set(error) <= _declared(sch, "error")
        for chain in file_doc["chains"]:
            assert set(chain) <= _declared(sch, "chain")
            for step in chain["steps"]:
                assert set(step) <= _declared(sch, "step")


def test_json_has_the_design_keys_and_values():
    doc = to_json(sample_run())
    assert doc["version"] == 1
    file_doc = doc["files"][0]
    assert file_doc["path"] == "derivations/cross_entropy.md"
    assert file_doc["errors"] == [
        {"line": 3, "message": "YAML front matter: bad indent", "column": 5},
        {"line": 0, "message": "file has a BOM"},
    ]
    chain = file_doc["chains"][0]
    assert (chain["id"], chain["line"], chain["name"]) == ("cross_entropy:88", 88, "bce-gradient-w")
    assert chain["section"] == ["交叉熵 Cross entropy", "Gradient & <b>bold</b>"]
    step = chain["steps"][3]
    required = [
        "line",
        "from_line",
        "lhs",
        "rhs",
        "verdict",
        "method",
        "culprit",
        "residual",
        "counterexample",
        "message",
        "seconds",
    ]
    assert list(step)[: len(required)] == required
    assert step["verdict"] == "refuted" and step["culprit"] is True
    assert step["residual"] == SOFTMAX_RESIDUAL
    assert step["counterexample"] == {"z_1": "0", "z_2": "1/2"}
    assert step["expected"] == "refuted"
    assert chain["steps"][0]["residual"] is None and chain["steps"][0]["counterexample"] is None
    assert doc["summary"] == {
        "steps": 8,
        "proved": 2,
        "bounded": 1,
        "numeric": 1,
        "refuted": 2,
        "undecided": 1,
        "unparsed": 1,
        "error": 0,
        "culprits": 1,
        "seconds": 1.3,
        "unmet_expectations": 3,
    }


def test_json_dumps_keeps_chinese_as_utf8():
    text = dumps(sample_run())
    assert "交叉熵" in text
    assert json.loads(text) == to_json(sample_run())


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------


def _page() -> str:
    return render_html(sample_run().files[0], title="cross_entropy.md — derive report")


def test_html_is_self_contained():
    page = _page()
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport"' in page
    assert "@media print" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    assert "<script" not in page.lower()  # the page runs no script at all


def test_html_escapes_script_and_markup_from_the_document():
    page = _page()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page  # the message
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page  # \text{<script>} inside math
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_mathml_sanitizer_keeps_math_and_drops_everything_else():
    dirty = (
        '<math display="inline"><mi onclick="evil()" mathvariant="bold">a</mi>'
        "<mtext><img src=x onerror=alert(1)></mtext><mi>&</mi></math>"
    )
    clean = sanitize_mathml(dirty)
    assert "onclick" not in clean and "<img" not in clean
    assert '<mi mathvariant="bold">a</mi>' in clean
    assert "&lt;img src=x onerror=alert(1)&gt;" in clean
    assert "<mi>&amp;</mi>" in clean


def test_html_has_summary_badges_anchors_math_and_evidence():
    page = _page()
    assert 'id="chain-bce-gradient-w"' in page and 'href="#chain-bce-gradient-w"' in page
    assert 'id="chain-sigmoid-derivative"' in page
    for verdict in ("proved", "bounded", "numeric", "refuted", "undecided", "unparsed"):
        assert f'class="badge v-{verdict}' in page
    assert '<span class="n">2</span> refuted (1 expected)' in page
    assert page.count("<math") >= 15
    assert "<mfrac>" in page
    assert "culprit: line 92" in page and 'class="step is-refuted culprit has-details"' in page
    assert "counterexample" in page and "residual" in page and "ratio" in page
    # the line latex2mathml cannot read is shown as source, not dropped
    assert '<code class="tex">\\left( \\frac{a}{b} \\weird{x} 50% &amp; #</code>' in page
    assert "88→89" in page


def test_html_never_fails_on_unreadable_latex():
    bad = StepResult(
        line=2,
        from_line=1,
        lhs="\\left(",
        rhs="}{\\frac",
        verdict="unparsed",
        residual="\\right)",
        counterexample={"\\left(": "\\right"},
    )
    fr = FileResult(
        path="x.md", chains=[ChainResult(id="x:1", name="x", path="x.md", line=1, steps=[bad])]
    )
    page = render_html(fr, title="x")
    assert page.count('<code class="tex">') >= 3


def test_html_renders_mathml_with_size_and_no_console_errors_in_chromium(tmp_path):
    page = probe_copy(_page(), tmp_path)
    proc = run_chromium(page, tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert match and match.group(1), "the probe script did not run"
    boxes = json.loads(match.group(1))
    assert len(boxes) >= 15
    assert all(w > 0 and h > 0 for _, w, h in boxes), boxes
    # Real MathML layout: a fraction stands taller than a plain line of math.
    frac_heights = [h for has_frac, _, h in boxes if has_frac]
    flat_heights = [h for has_frac, _, h in boxes if not has_frac]
    assert min(frac_heights) > 1.3 * min(flat_heights)
    assert console_messages(proc.stderr) == []


def test_chromium_console_capture_does_see_errors(tmp_path):
    # Guards the assertion above: a page that logs an error is noticed.
    page = tmp_path / "noisy.html"
    page.write_text(
        "<!DOCTYPE html><p>x</p><script>console.error('boom'); undefinedFn();</script>",
        encoding="utf-8",
    )
    proc = run_chromium(page, tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom")
    messages = console_messages(proc.stderr)
    assert any("boom" in m for m in messages)
    assert any("Uncaught" in m for m in messages)


@pytest.mark.parametrize("width", [1100, 390])
def test_html_screenshot_in_chromium_on_desktop_and_phone(tmp_path, width):
    page = tmp_path / "report.html"
    page.write_text(_page(), encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = run_chromium(page, tmp_path, f"--screenshot={shot}", f"--window-size={width},1600")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


# --------------------------------------------------------------------------
# LaTeX / PDF
# --------------------------------------------------------------------------


def test_latex_escapes_text_and_replaces_characters_pdflatex_cannot_set():
    assert escape_text("50% & $x_1$ #{}~^\\") == (
        r"50\% \& \$x\_1\$ \#\{\}\textasciitilde{}\textasciicircum{}\textbackslash{}"
    )
    latin = Tex(unicode=False)
    assert latin.text("交叉熵 Cross entropy — café") == "? Cross entropy --- café"
    assert list(latin.lost) == ["交", "叉", "熵"]  # the report says which characters it lost
    tex = render_latex(sample_run().files[0], title="cross_entropy.md — report", tex=Tex(False))
    assert "交" not in tex and tex.startswith("% !TEX program = pdflatex")
    assert r"Gradient \& \textless{}b\textgreater{}bold" in tex
    assert r"\usepackage[utf8]{inputenc}" in tex and r"\begin{align*}" in tex
    assert r"\culprit{" in tex and r"\vrefuted" in tex and r"\checkmark" in tex
    assert r"\providecommand{\R}" in tex
    assert "Made with pdflatex" in tex and "U+4EA4" in tex


def test_xelatex_keeps_every_script_and_sets_greek_and_cyrillic_in_their_font():
    tex = Tex(unicode=True)
    assert tex.text("交叉熵 — Привет, Ελληνικά; 日本語 한국어") == (
        r"交叉熵 --- \textscript{Привет}, \textscript{Ελληνικά}; 日本語 한국어"
    )
    assert not tex.lost
    # in math: Greek letters are commands, words of other scripts are text
    assert tex.clean_math(r"α + \text{其中 n 是样本数}") == r"\alpha  + \text{其中 n 是样本数}"
    assert tex.clean_math(r"分布函数: F(x)") == r"\text{分布函数}: F(x)"
    assert tex.clean_math(r"\text{и Привет}") == r"\text{\textscript{и Привет}}"
    page = render_latex(sample_run().files[0], title="交叉熵 — report")
    assert page.startswith("% !TEX program = xelatex") and "xeCJK" in page
    assert "交叉熵 Cross entropy" in page and "Made with pdflatex" not in page


def test_pdflatex_cannot_take_unicode_math_and_shows_its_source():
    assert Tex(unicode=False).clean_math(r"\text{其中}") is None
    assert Tex(unicode=False).math(r"\text{其中}").startswith(r"\text{\texttt{")


def test_document_math_that_could_write_files_is_shown_as_source():
    tex = Tex()
    for hostile in (r"\input{/etc/passwd}", r"\immediate\write18{ls}", r"\def\x{\x}\x",
                    r"\csname end\endcsname", r"\makeatletter\@gobble", "a}{b", r"\left( x"):
        assert tex.clean_math(hostile) is None, hostile


def test_latex_report_compiles_and_the_pdf_shows_verdicts(tmp_path):
    require_tool("pdflatex")
    pdftotext = require_tool("pdftotext")
    tex = tmp_path / "report.tex"
    tex.write_text(
        render_latex(sample_run().files[0], title="cross_entropy.md — report"), encoding="utf-8"
    )
    pdf = compile_pdf(tex)
    assert pdf == tmp_path / "report.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf", "report.tex"]
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for word in (
        "bce-gradient-w",
        "sigmoid-derivative",
        "proved",
        "bounded",
        "numeric",
        "refuted",
        "undecided",
        "unparsed",
        "culprit: line 92",
        "counterexample",
        "residual",
        "Cross entropy",
        "expected proved",
        "file has a BOM",
        "<script>alert(2)</script>",  # typed in \text{}: not turned into ¡script¿
    ):
        assert word in text, word


def test_compile_pdf_reports_the_log_tail_when_latex_fails(tmp_path):
    require_tool("pdflatex")
    tex = tmp_path / "broken.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}\n")
    with pytest.raises(LatexError, match="Undefined control sequence"):
        compile_pdf(tex)
    assert not (tmp_path / "broken.pdf").exists()


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------


def test_write_atomic_crash_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")

    def crash(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(report_atomic.os, "replace", crash)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(target, "new report " * 1000)
    assert target.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_atomic_replaces_text_and_bytes(tmp_path):
    target = tmp_path / "a.txt"
    write_atomic(target, "first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_write_reports_writes_html_and_tex_per_document_into_the_folder(tmp_path):
    run = sample_run()
    other = FileResult(path="notes/other.tex", chains=[])
    run = RunResult(files=[*run.files, other], summary=run.summary)
    out = tmp_path / "reports"
    written = write_reports(run, out, {"html", "tex"})
    assert [p.name for p in written] == [
        "cross_entropy.html",
        "cross_entropy.tex",
        "other.html",
        "other.tex",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)


def test_write_reports_pdf(tmp_path):
    require_tool("pdflatex")
    written = write_reports(sample_run(), tmp_path / "out", {"pdf"})
    assert [p.name for p in written] == ["cross_entropy.pdf"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cross_entropy.pdf"]


def test_write_reports_never_overwrites_a_source_document(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("notes.tex").write_text("% my notes\n", encoding="utf-8")
    run = RunResult(files=[FileResult(path="notes.tex")], summary=summarise([], 0.0))
    written = write_reports(run, tmp_path, {"tex", "html"})
    assert Path("notes.tex").read_text(encoding="utf-8") == "% my notes\n"
    assert sorted(p.name for p in written) == ["notes.html", "notes.report.tex"]


def test_write_reports_gives_same_named_documents_distinct_files(tmp_path):
    files = [FileResult(path="a/notes.md"), FileResult(path="b/notes.md")]
    written = write_reports(RunResult(files=files, summary=summarise(files, 0)), tmp_path, {"html"})
    assert [p.name for p in written] == ["a_notes.html", "b_notes.html"]


def test_write_reports_rejects_unknown_formats(tmp_path):
    with pytest.raises(ReportError, match="docx"):
        write_reports(sample_run(), tmp_path, {"html", "docx"})


def test_report_code_never_imports_sympy():
    for source in REPORT_DIR.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "sympy" for n in names), source.name


def test_json_adds_the_evidence_in_the_documents_notation_and_keeps_version_1():
    step = StepResult(
        line=5, from_line=4, lhs="K'(t)", rhs="t", verdict="refuted",
        counterexample={"t": "1", "K(t1)": "t1**2/2 + 3*t1"},
        counterexample_latex={"t": "1", "K(t)": r"\frac{t^{2}}{2} + 3 t"},
        message="differs by t/2 (at t = 1)",
        message_parts=[("text", "differs by "), ("math", r"\frac{t}{2}"), ("text", " (at "),
                       ("math", "t = 1"), ("text", ")")],
    )
    chain = ChainResult(id="k:4", name="k", path="k.md", line=4, steps=[step])
    files = [FileResult(path="k.md", chains=[chain], cached=True)]
    doc = to_json(RunResult(files=files, summary=summarise(files, 0.1)))
    jsonschema.Draft202012Validator(schema()).validate(doc)
    assert doc["version"] == 1 and doc["files"][0]["cached"] is True
    shown = doc["files"][0]["chains"][0]["steps"][0]
    assert shown["counterexample"] == {"t": "1", "K(t1)": "t1**2/2 + 3*t1"}  # unchanged
    assert shown["counterexample_latex"]["K(t)"] == r"\frac{t^{2}}{2} + 3 t"
    assert shown["message_parts"][1] == {"math": r"\frac{t}{2}"}
    assert "cached" not in to_json(sample_run())["files"][0]


def test_report_modules_import_each_other_without_a_circle():
    # style.md: files.py and latex.py used to import each other
    graph: dict[str, set[str]] = {}
    for source in REPORT_DIR.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("derive.report"):
                module = node.module.split(".")[2] if node.module.count(".") >= 2 else None
                names |= {module} if module else {a.name for a in node.names}
        graph[source.stem] = {n for n in names if n and n != source.stem and n != "__init__"}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, set()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    circles = [m for m in graph if m != "__init__" and reaches(m, m, {m})]
    assert circles == []

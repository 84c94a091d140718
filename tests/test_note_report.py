"""The annotated note: the whole document in the author's order, every checked row with
its verdict, in HTML (looked at in headless Chromium) and in the PDF (pdftotext)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from browser import (
    CHAINS_LAYOUT_PROBE,
    LAYOUT_PROBE,
    console_messages,
    intersects,
    probe,
    require_tool,
    run_chromium,
)

from derive.api import check_text
from derive.model import ChainResult, FileResult, RunResult, StepResult, summarise
from derive.report import render_note_html, render_note_latex, write_reports
from derive.report.note_html import heading_slug, safe_href
from derive.report.outline import split_rows
from derive.report.outline_md import read_markdown
from derive.report.outline_tex import read_tex
from derive.report.tex_common import Tex

# A note of our own, in the style of a blog post: prose, a list, an image, raw HTML,
# a derivation with one slip (3x·x = 2x² is wrong), a quote, code and a table.
NOTE = """\
---
title: cubes
---
# Derivative of a cube

We differentiate $x^3$ by the power rule; see [the rule](https://example.org/power)
and ![a plot of the cube](https://images.example.org/cube.png).

<div onclick="alert(1)">a raw block</div>

Inline HTML <script>document.title='pwned'</script> must stay text.

- first, the rule $\\frac{d}{dx} x^n = n x^{n-1}$
- then the arithmetic

## The steps

$$
\\begin{aligned}
\\frac{d}{dx} x^3 &= 3x^2 \\\\
&= 3x \\cdot x \\\\
&= 2x^2
\\end{aligned}
$$

> Check the last line.

```python
print("not math: $x = 1$")
```

| case | value |
|---|---|
| $x = 1$ | 3 |

$$ \\frac{a}{b} = \\frac{a}{b} \\sum{ x } $$
"""


def one_run(file: FileResult) -> RunResult:
    return RunResult(files=[file], summary=summarise([file], 0.0))


@pytest.fixture(scope="module")
def note() -> FileResult:
    return check_text(NOTE, path="cubes.md")


@pytest.fixture(scope="module")
def page(note: FileResult) -> str:
    return render_note_html(note, note.source, title="cubes.md — derive report")


def test_the_note_keeps_every_part_of_the_document_in_the_authors_order(page: str):
    pieces = [
        "<h1",
        "Derivative of a cube",
        "power rule",
        "a raw block",
        "must stay text",
        "<ul>",
        "then the arithmetic",
        "The steps",
        'id="L20"',
        'id="L22"',
        "<blockquote>",
        "not math: $x = 1$",
        "<table>",
    ]
    positions = [page.find(piece) for piece in pieces]
    assert all(p >= 0 for p in positions), [pieces[i] for i, p in enumerate(positions) if p < 0]
    assert positions == sorted(positions)
    assert page.count("<math") >= 8  # inline and display math are both typeset
    assert "title: cubes" not in page  # front matter is not part of the note


def test_each_checked_row_carries_its_verdict_and_the_slip_is_refuted_with_evidence(page: str):
    rows = {line: cls for cls, line in re.findall(r'<div class="(row[^"]*)" id="L(\d+)">', page)}
    assert "is-proved" in rows["20"] and "is-proved" in rows["21"]
    assert "is-refuted" in rows["22"]
    refuted = page[page.index('id="L22"') :]
    assert refuted.index("<details open>") < refuted.index("<dt>counterexample</dt>")
    assert "why this step is refuted" in refuted
    # the evidence is math in the reader's notation, never SymPy syntax
    assert "**" not in page and "Derivative(" not in page


def test_the_summary_card_and_the_chain_index_come_first(page: str, note: FileResult):
    summary = page.index('class="summary"')
    assert summary < page.index('<article class="note">')
    steps = sum(len(c.steps) for c in note.chains)
    anchor = re.search(r'href="#(chain-[^"]+)"', page)
    assert anchor and f'id="{anchor.group(1)}"' in page  # the index links to the chain's row
    assert "needs attention" in page[:summary + 2000]
    assert f"{steps} steps in {len(note.chains)} chain" in page


def test_images_are_links_that_are_never_fetched_and_links_are_safe(page: str):
    assert "<img" not in page
    assert 'href="https://images.example.org/cube.png"' in page and "image: a plot of" in page
    assert 'href="https://example.org/power" rel="noopener noreferrer"' in page
    assert safe_href("javascript:alert(1)") is None and safe_href("data:text/html,x") is None
    assert safe_href("#section") == "#section" and safe_href("notes/a.md") == "notes/a.md"


def test_raw_html_and_script_in_the_prose_are_escaped(page: str):
    assert "<script>document.title" not in page and "<div onclick" not in page
    assert "&lt;script&gt;" in page and "document.title=&#x27;pwned&#x27;" in page
    assert "&lt;div onclick=&quot;alert(1)&quot;&gt;" in page


def test_the_script_in_the_prose_never_runs_in_chromium(tmp_path, page: str):
    path = tmp_path / "note.html"
    path.write_text(page, encoding="utf-8")
    proc = run_chromium(path, tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", proc.stdout, re.S)
    assert title and "pwned" not in title.group(1)
    assert "document.title='pwned'" in proc.stdout.replace("&#x27;", "'")  # shown as text
    assert console_messages(proc.stderr) == []


def test_an_unreadable_line_is_shown_in_a_verbatim_box_with_the_reason(page: str):
    last = page[page.rindex('class="display') :]
    assert "unparsed" in last and "why this line could not be read" in last
    assert '<pre class="source">' in last and r"\sum{ x }" in last


def test_headings_get_githubs_anchors():
    assert heading_slug("交叉熵的几种表达形式") == "交叉熵的几种表达形式"
    assert heading_slug("Binary CrossEntropy") == "binary-crossentropy"
    assert heading_slug("均方误差(MSE)与梯度更新") == "均方误差mse与梯度更新"


def test_display_rows_keep_their_lines_and_alignment():
    latex = (
        "\\begin{aligned}\nL &= a \\\\\n&= b \\tag{2} \\\\[4pt]\n"
        "\\begin{cases} x & y \\\\ z \\end{cases}\n\\end{aligned}"
    )
    rows, env = split_rows(latex, 10)
    assert env == "aligned"
    assert [(r.line, r.cells, r.tag) for r in rows] == [
        (11, ["L", "= a"], ""),
        (12, ["", "= b"], "2"),
        (13, ["\\begin{cases} x & y \\\\ z \\end{cases}"], ""),  # a nested environment is one cell
    ]


def test_math_inside_a_sentence_stays_inline():
    outline = read_markdown("A set $$\\mathcal{F}$$ is a **$$\\sigma$$-algebra** here.\n")
    paragraph = outline.blocks[0]
    displays = [c for c in paragraph.children if type(c).__name__ == "Display"]
    assert displays and all(d.inline for d in displays)
    result = check_text("A set $$\\mathcal{F}$$ is a **$$\\sigma$$-algebra** here.\n")
    html = render_note_html(result, result.source, title="t")
    assert 'class="display' not in html and "<strong>" in html and "-algebra" in html


TEX_NOTE = r"""\documentclass{article}
\begin{document}
\section{Squares}
We expand $(a+b)^2$ % a comment that is not shown
with \emph{care}, see \cite{knuth}.
\begin{align*}
(a+b)^2 &= a^2 + 2ab + b^2 \\
&= a^2 + b^2
\end{align*}
\begin{itemize}
\item one
\item two
\end{itemize}
\end{document}
"""


def test_a_tex_note_shows_its_prose_as_text_and_its_math_rendered():
    outline = read_tex(TEX_NOTE)
    kinds = [type(b).__name__ for b in outline.blocks]
    assert kinds == ["Heading", "Paragraph", "Display", "ListBlock"]
    result = check_text(TEX_NOTE, path="squares.tex", kind="tex")
    html = render_note_html(result, result.source, title="squares.tex")
    assert "Squares" in html and "<em>care</em>" in html and "[knuth]" in html
    assert "a comment" not in html and "\\documentclass" not in html
    rows = {line: cls for cls, line in re.findall(r'<div class="(row[^"]*)" id="L(\d+)">', html)}
    assert "is-proved" in rows["7"] and "is-refuted" in rows["8"]


def test_steps_whose_line_the_report_cannot_place_are_shown_where_they_fall():
    # a chain on a line that is prose for the report's reader: never dropped
    step = StepResult(line=3, from_line=3, lhs="a", rhs="b", verdict="refuted", residual="a - b")
    chain = ChainResult(id="x:3", name="lost-chain", path="x.md", line=3, steps=[step])
    file = FileResult(path="x.md", chains=[chain])
    html = render_note_html(file, "# Head\n\nplain prose\n\n## Next\n", title="x")
    assert "lost-chain" in html and html.index("lost-chain") < html.index("Next")
    assert "not found as display math" in html


def test_a_display_block_with_nothing_checked_says_so():
    result = check_text("Some text.\n\n$$\\int_0^1 f$$\n")
    html = render_note_html(result, result.source, title="t")
    assert "not checked" in html


def test_the_note_pdf_shows_the_prose_the_verdicts_and_every_script(tmp_path):
    require_tool("xelatex")
    pdftotext = require_tool("pdftotext")
    text = NOTE.replace("# Derivative of a cube", "# 立方的导数 Производная κύβου 立方体 미분")
    result = check_text(text, path="cubes.md")
    written = write_reports(one_run(result), tmp_path, {"pdf"})
    shown = subprocess.run(
        [pdftotext, str(written[0]), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    for word in ("立方的导数", "Производная", "κύβου", "미분", "power rule", "refuted",
                 "counterexample", "then the arithmetic", "image: a plot of the cube"):
        assert word in shown, word
    assert "Made with pdflatex" not in shown


def test_pdflatex_says_which_characters_it_could_not_show(tmp_path):
    require_tool("pdflatex")
    tex = Tex(unicode=False)
    result = check_text("# 立方 cube\n\n$$x = x$$\n", path="c.md")
    source = render_note_latex(result, result.source, title="c", tex=tex)
    assert list(tex.lost) == ["立", "方"]
    assert "Made with pdflatex" in source and "U+7ACB" in source


def test_a_formula_latex_cannot_typeset_falls_back_to_source_with_a_warning(tmp_path):
    require_tool("xelatex", "pdflatex")
    # a double superscript in prose (inline math is never read) passes every guard,
    # and LaTeX stops on it
    result = check_text("Inline $x^2^3$ here.\n\n$$x = x$$\n", path="bad.md")
    warnings: list[str] = []
    written = write_reports(one_run(result), tmp_path, {"pdf"}, warn=warnings.append)
    assert written[0].exists() and written[0].read_bytes()[:5] == b"%PDF-"
    assert any("shown as its source" in w for w in warnings), warnings


@pytest.mark.parametrize("width", [360, 1024, 1600])
def test_no_badge_overlaps_the_math_of_its_row_at_any_width(tmp_path, page: str, width: int):
    seen = probe(page, tmp_path, LAYOUT_PROBE, width)
    assert isinstance(seen, dict)
    assert seen["rows"], "no display rows measured"
    assert seen["width"] == width
    assert seen["sticking"] == [], "the page scrolls sideways"
    for row in seen["rows"]:
        for badge in row["badges"]:
            assert badge["r"] <= seen["width"] + 0.5, (row["id"], "badge off the page")
            for cell in row["cells"]:
                assert not intersects(badge, cell), (row["id"], width)
            assert not intersects(badge, row["ln"]), (row["id"], width)
    for label in seen["labels"]:  # "counterexample" never runs into its value
        assert not intersects(label["dt"], label["dd"]), (label["text"], width)


@pytest.mark.parametrize("width", [360, 1024, 1600])
def test_no_badge_overlaps_its_step_in_the_chains_view(tmp_path, note: FileResult, width: int):
    from derive.report import render_html

    seen = probe(render_html(note, title="cubes"), tmp_path, CHAINS_LAYOUT_PROBE, width)
    assert isinstance(seen, dict) and seen["rows"]
    for row in seen["rows"]:
        for badge in row["badges"]:
            assert badge["r"] <= seen["width"] + 0.5, (row["id"], width)
            for cell in row["cells"]:
                assert not intersects(badge, cell), (row["id"], width)


def test_write_reports_chains_view_keeps_todays_layout(tmp_path, note: FileResult):
    run = one_run(note)
    (page_path,) = write_reports(run, tmp_path, {"html"}, view="chains")
    chains = page_path.read_text(encoding="utf-8")
    assert 'class="steps"' in chains and '<article class="note">' not in chains
    (note_path,) = write_reports(run, tmp_path / "n", {"html"})
    assert '<article class="note">' in Path(note_path).read_text(encoding="utf-8")


SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "cross_entropy_note.md"


def test_the_seed_notes_pdf_report_shows_its_chinese_headings(tmp_path):
    import os

    if not SEED.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("../shared/seeds/cross_entropy_note.md is missing in CI")
        pytest.skip("../shared/seeds is not here")
    require_tool("xelatex")
    pdftotext = require_tool("pdftotext")
    from derive.check import Options, check_paths

    root = Path(__file__).resolve().parents[1]
    context = root / "derivations" / "cross_entropy_note.derive.yaml"
    run = check_paths([SEED], Options(context_file=str(context), jobs=2))
    html, pdf = write_reports(run, tmp_path, {"html", "pdf"})
    shown = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    for heading in ("交叉熵损失函数", "交叉熵的几种表达形式", "对数似然函数与交叉熵的关系",
                    "多分类交叉熵函数的梯度更新"):
        assert heading in shown, heading
    assert "?" * 3 not in shown  # nothing replaced by question marks
    page = html.read_text(encoding="utf-8")
    assert 'id="交叉熵损失函数"' in page and "culprit: line 137" in page


def test_a_step_that_checks_more_than_equality_shows_its_relation():
    steps = [
        StepResult(line=2, from_line=1, lhs="y = s(t)", rhs="y(1+e^{-t}) = 1", verdict="proved",
                   relation="equivalent"),
        StepResult(line=3, from_line=2, lhs="y(1+e^{-t}) = 1", rhs="t = 1", verdict="refuted",
                   relation="implies"),
    ]
    chain = ChainResult(id="e:1", name="eq", path="e.md", line=1, steps=steps)
    file = FileResult(path="e.md", chains=[chain])
    source = "$$\\begin{aligned}\ny &= s(t) \\\\\ny(1+e^{-t}) &= 1 \\\\\nt &= 1\n\\end{aligned}$$\n"
    html = render_note_html(file, source, title="e")
    assert '<span class="rel" title="equivalent, line 1→2">⇔</span>' in html
    assert '<span class="rel" title="implies, line 2→3">⇒</span>' in html
    tex = render_note_latex(file, source, title="e")
    assert r"\exptag{$\iff$}\vproved" in tex and r"\exptag{$\Longrightarrow$}\vrefuted" in tex


def test_without_a_unicode_engine_the_pdf_is_made_by_pdflatex_and_says_what_it_lost(
    tmp_path, monkeypatch
):
    require_tool("pdflatex")
    pdftotext = require_tool("pdftotext")
    from derive.report import files as report_files

    monkeypatch.setattr(report_files, "unicode_engine", lambda: None)
    result = check_text("# 立方 cube\n\n$$ (a+b)^2 = a^2 + 2ab + b^2 $$\n", path="c.md")
    warnings: list[str] = []
    (pdf,) = write_reports(one_run(result), tmp_path, {"pdf"}, warn=warnings.append)
    assert any("made with pdflatex" in w and "2 characters" in w and "立方" in w
               for w in warnings), warnings
    shown = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                           check=True, timeout=60).stdout
    assert "Made with pdflatex" in shown and "? cube" in shown

"""No SymPy syntax reaches a reader: the text, HTML and PDF reports of derivations/ and of
the real notes in ../shared/corpus/ are scanned for it.

SymPy's own spelling — ``**`` powers, ``Derivative(``, ``Sum(``, ``Indexed``,
``Subs(``, ``Lambda(``, entries like ``z[1]``, ``1+0j`` — counts only where the
document itself never wrote it (the reports show the author's LaTeX as written).
"""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import require_tool

from derive.check import Options, check_paths
from derive.model import FileResult, RunResult, summarise
from derive.report import render_html, render_note_html, render_text, write_reports

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "docs"
SYMPY_SYNTAX = re.compile(
    r"\*\*|Derivative\(|Sum\(|Indexed|Subs\(|Lambda\(|KroneckerDelta\(|Piecewise\("
    r"|(?<![\\\w])[A-Za-z]\w*\[\d+(?:, ?\d+)*\]|\b\d+(?:\.\d+)?[+-]\d*\.?\d*j\b"
)


def _documents() -> list[Path]:
    documents = sorted((ROOT / "derivations").glob("*.md"))
    if CORPUS.is_dir():
        documents += sorted(CORPUS.iterdir())
    elif os.environ.get("CI") == "true":
        pytest.fail("../shared/corpus is missing in CI")
    return documents


@pytest.fixture(scope="module")
def run() -> RunResult:
    return check_paths(_documents(), Options(jobs=2))


class _Text(HTMLParser):
    """The text a browser shows (not the markup, the stylesheet or attribute values)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("style", "script")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def _shown(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "\n".join(parser.parts)


def _leaks(output: str, file: FileResult) -> set[str]:
    # what the note writes itself (\sup [0,1] shows as "sup[0, 1]") is not a leak
    written = re.sub(r"[\s\\{}]", "", file.source)
    return {hit for hit in SYMPY_SYNTAX.findall(output) if re.sub(r"\s", "", hit) not in written}


def _one(file: FileResult) -> RunResult:
    return RunResult(files=[file], summary=summarise([file], 0.0))


def test_the_scan_sees_sympy_syntax():
    # guards the scan itself: today's engine text, had it reached a report
    file = FileResult(path="x.md", source="$$a = b$$")
    leaked = "off by a factor of 1/Sum(exp(z[k]), (k, 1, m)) at z[1] = 0, K(t1) = t1**2/2"
    assert _leaks(leaked, file) == {"Sum(", "z[1]", "**"}
    assert _leaks("the note's own x[1] and 2**3", FileResult("y.md", source="x[1] 2**3")) == set()


def test_the_corpus_is_there_and_has_evidence_to_show(run: RunResult):
    refuted = [s for f in run.files for c in f.chains for s in c.steps if s.verdict == "refuted"]
    assert len(run.files) >= 9 and len(refuted) >= 10
    assert any(s.counterexample_latex for s in refuted)


def test_text_reports_carry_no_sympy_syntax(run: RunResult):
    for file in run.files:
        for verbose in (False, True):
            assert _leaks(render_text(_one(file), verbose=verbose, color=False), file) == set(), (
                file.path
            )


def test_html_reports_carry_no_sympy_syntax(run: RunResult):
    for file in run.files:
        for page in (render_note_html(file, file.source, title="t"), render_html(file, title="t")):
            assert _leaks(_shown(page), file) == set(), file.path


def test_pdf_reports_carry_no_sympy_syntax(run: RunResult, tmp_path: Path):
    require_tool("xelatex", "pdflatex")
    pdftotext = require_tool("pdftotext")
    # every document with something to explain: a counterexample, a residual, a message
    explained = [
        f for f in run.files
        if any(s.counterexample or s.residual or s.message_parts for c in f.chains for s in c.steps)
        or any(c.notes for c in f.chains)
    ]

    def scan(index_file: tuple[int, FileResult]) -> tuple[str, set[str]]:
        # the chains view: the same evidence, notes and messages as the note, fewer pages
        index, file = index_file
        view = "note" if file.path.endswith("cross_entropy.md") else "chains"
        (pdf,) = write_reports(_one(file), tmp_path / str(index), {"pdf"}, view=view)
        shown = subprocess.run(
            [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True, timeout=120
        ).stdout
        return file.path, _leaks(shown, file)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(scan, enumerate(explained)))
    assert len(results) >= 5
    assert [(path, hits) for path, hits in results if hits] == []


def test_pytest_failure_reports_carry_no_sympy_syntax(run: RunResult):
    from derive.api import explain

    for file in run.files:
        for chain in file.chains:
            shown = explain(chain, verbose=True)
            assert _leaks(shown, file) == set(), (file.path, chain.name)

"""Fuzzing the whole pipeline with hypothesis (small profile; bench/fuzz.py runs it long).

Strategies:
  (a) ``latex_documents``: LaTeX from a grammar (numbers, letters, greek, \\frac,
      ^, _, \\sum, \\sqrt, brackets, \\left( \\right), operators, =, \\\\, &,
      aligned) plus raw token noise, assembled into Markdown documents;
  (b) ``byte_documents``: random bytes, and valid documents with bytes spliced in;
  (c) ``markdown_documents``: random Markdown structure (headings, fences, lists,
      ``$$`` blocks, annotations and front matter with random YAML);
  (d) ``identities``: a random expression E over x > 0 and real y, written as a
      user would, and ``E = expand(E)`` (or together, cancel, …) rendered by SymPy;
      also wrapped in names the document never defines (``f(x) + E``, ``\\gamma(E)``);
  (e) ``corpus_documents``: the real notes of ../shared/corpus/docs, whole or as a
      window of lines, with deleted braces, swapped operators, dropped and
      repeated lines;
  (f) the true identities of tests/identities.py (SymPy) wrapped in unknown
      functions and an opaque operator: ``f(ξ) + lhs``, ``γ(lhs)``, ``E[lhs]``.

Properties: reading a document raises nothing but DocumentError (and that only
for unreadable files); every verdict is one of the seven, and never ``error``
(an internal error is a bug); every problem and step has a line inside the
file; an example finishes in seconds; reports are written only inside their
output folder; a true identity is never refuted, wrapped or not.

The ``check_*`` functions are the properties themselves, shared with
bench/fuzz.py; they count what they see in ``STATS``.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import time
from collections import Counter
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.check import Options, decide_documents, plan_document
from derive.latex import LatexError, parse_latex
from derive.model import VERDICTS, Document, RunResult, summarise
from derive.read import DocumentError, parse_document, read_document
from derive.report import dumps, render_text, write_reports
from derive.worker import WorkerPool

STEP_TIMEOUT = 2.0
EXAMPLE_WALL = 60.0  # seconds for one whole example through the engine (many steps)
PARSE_WALL = 10.0  # seconds to read one document and parse its expressions in-process
STATS: Counter[str] = Counter()

FUZZ = settings(
    max_examples=100, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)
ENGINE = settings(FUZZ, max_examples=25)

# --------------------------------------------------------------------------
# the shared engine pool
# --------------------------------------------------------------------------

_POOL: WorkerPool | None = None


def pool() -> WorkerPool:
    global _POOL
    if _POOL is None:
        _POOL = WorkerPool(jobs=1, timeout=STEP_TIMEOUT)
        atexit.register(_POOL.close)
    return _POOL


def run_engine(documents: list[Document], options: Options | None = None) -> RunResult:
    """check_documents on the shared pool (the same two stages, minus the pool start)."""
    options = options or Options(timeout=STEP_TIMEOUT)
    started = time.monotonic()
    planned = [plan_document(doc, options) for doc in documents]
    files = decide_documents(planned, pool(), options)
    return RunResult(files, summarise(files, time.monotonic() - started))


# --------------------------------------------------------------------------
# (a) LaTeX from a grammar
# --------------------------------------------------------------------------

GREEK = ["\\alpha", "\\beta", "\\theta", "\\sigma", "\\pi", "\\lambda", "\\mu"]
ATOMS = st.one_of(
    st.integers(0, 120).map(str),
    st.sampled_from(["x", "y", "z", "a", "b", "n", "m", "k", "e", "2.5", "0.1"]),
    st.sampled_from(GREEK),
)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(inner, inner)
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", " ", "\\cdot ", "\\times "]), inner)
        .map("".join),
        pair.map(lambda t: f"\\frac{{{t[0]}}}{{{t[1]}}}"),
        pair.map(lambda t: f"{t[0]}^{{{t[1]}}}"),
        pair.map(lambda t: f"{t[0]}_{{{t[1]}}}"),
        inner.map(lambda s: f"\\sum_{{k=1}}^{{m}} {s}"),
        inner.map(lambda s: f"\\sqrt{{{s}}}"),
        inner.map(lambda s: f"({s})"),
        inner.map(lambda s: f"[{s}]"),
        inner.map(lambda s: f"{{{s}}}"),
        inner.map(lambda s: f"\\left({s}\\right)"),
        inner.map(lambda s: f"\\log {s}"),
        inner.map(lambda s: f"e^{{{s}}}"),
        inner.map(lambda s: f"-{s}"),
    )


LATEX = st.recursive(ATOMS, _extend, max_leaves=10)
NOISE_TOKENS = [
    "x", "2", "\\frac", "^", "_", "{", "}", "(", ")", "[", "]", "\\left(", "\\right)", "+", "-",
    "=", "\\\\", "&", "\\begin{aligned}", "\\end{aligned}", "\\sum_{k=1}^{m}", "\\sqrt",
    "\\alpha", " ", "\n", "$", "$$", "\\", "!", "'", "\\approx", "\\le", ":=", "\\text{a}",
    "\\partial", "d", "\\mathrm{d}", "\\int", "\\cdots", "%", "#", "<!--", "-->", "`", "é", "∑",
]
NOISE = st.lists(st.sampled_from(NOISE_TOKENS), max_size=25).map("".join)
ROW = st.lists(st.one_of(LATEX, LATEX, NOISE), min_size=1, max_size=4).map(" = ".join)


@st.composite
def displays(draw) -> str:
    rows = draw(st.lists(ROW, min_size=1, max_size=4))
    if draw(st.booleans()):
        body = " \\\\\n".join(("&" if i else "") + r for i, r in enumerate(rows))
        return f"\\begin{{aligned}}\n{body}\n\\end{{aligned}}"
    return " \\\\\n".join(rows)


@st.composite
def latex_documents(draw) -> str:
    blocks = draw(st.lists(displays(), min_size=1, max_size=3))
    wrap = draw(st.sampled_from(["$$\n{}\n$$", "$${}$$", "\\[\n{}\n\\]"]))
    return "# Fuzz\n\n" + "".join(wrap.format(b) + "\n\n" for b in blocks)


# --------------------------------------------------------------------------
# (b) bytes
# --------------------------------------------------------------------------


@st.composite
def byte_documents(draw) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=3000))
    text = draw(latex_documents()).encode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=8)) + text[at:]
    return text


# --------------------------------------------------------------------------
# (c) Markdown structure with YAML
# --------------------------------------------------------------------------

YAML_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 100), st.text(max_size=12),
    st.sampled_from(["positive", "real", "[0, 1]", "(0, 1)", "x", "\\sigma(z)", "m", "natural",
                     "proved", "refuted", "*a", "&a x", "{", "]"]),
)
YAML_KEYS = st.sampled_from(["symbols", "sizes", "indices", "functions", "define", "constraints",
                             "log", "timeout", "expect", "id", "blocks", "steps", "culprit",
                             "x", "y", "z", "sigma", "1", "derive"]) | st.text(max_size=6)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(YAML_KEYS, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def yaml_texts(draw) -> str:
    import yaml

    if draw(st.integers(0, 3)) == 0:  # raw, often invalid
        return draw(st.text(alphabet="abxy:{}[]-&*!|>'\"#\n ,0123", max_size=60))
    value = draw(st.dictionaries(YAML_KEYS, YAML_VALUES, max_size=4))
    flow = draw(st.booleans())
    return yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True).strip()


@st.composite
def markdown_documents(draw) -> str:
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append(f"---\n{draw(yaml_texts())}\n---\n")
    blocks = st.one_of(
        st.tuples(st.integers(1, 6), st.text(max_size=15)).map(lambda t: "#" * t[0] + " " + t[1]),
        displays().map(lambda d: f"$$\n{d}\n$$"),
        ROW.map(lambda r: f"Some text $${r}$$ more text."),
        ROW.map(lambda r: f"- item $${r}$$\n- $$\n  {r}\n  $$"),
        ROW.map(lambda r: f"```\n$$\n{r}\n$$\n```"),
        ROW.map(lambda r: f"    $$ {r} $$"),
        ROW.map(lambda r: f"> $$ {r} $$"),
        yaml_texts().map(lambda y: f"<!-- derive: {y} -->"),
        yaml_texts().map(lambda y: f"<!-- derive:\n{y}\n-->"),
        st.text(max_size=40),
        st.sampled_from(["$$", "\\[", "\\]", "$x$", "`$$`", "<!--", "-->", "***", "|a|b|\n|-|-|"]),
    )
    parts += draw(st.lists(blocks, max_size=8))
    sep = draw(st.sampled_from(["\n\n", "\n", "\r\n"]))
    return sep.join(parts)


# --------------------------------------------------------------------------
# (d) true identities
# --------------------------------------------------------------------------

X = sp.Symbol("x", positive=True)
Y = sp.Symbol("y", real=True)
IDENTITY_CONTEXT = "---\nderive:\n  symbols:\n    x: positive\n    y: real\n---\n\n"

LEAVES = st.one_of(
    st.sampled_from([(X, "x"), (Y, "y"), (X, "x")]),
    st.integers(1, 5).map(lambda n: (sp.Integer(n), str(n))),
)
POSITIVE_LEAVES = st.sampled_from([
    (X, "x"), (sp.Integer(2), "2"), (1 + Y**2, "\\left(1 + y^2\\right)"), (sp.exp(Y), "e^{y}"),
    (X + 1, "\\left(x + 1\\right)"),
])


def _positive(inner):
    pair = st.tuples(inner, inner)
    return st.one_of(
        pair.map(lambda t: (t[0][0] + t[1][0], f"{t[0][1]} + {t[1][1]}")),
        pair.map(lambda t: (t[0][0] * t[1][0],
                            f"\\left({t[0][1]}\\right) \\cdot \\left({t[1][1]}\\right)")),
        pair.map(lambda t: (t[0][0] / t[1][0], f"\\frac{{{t[0][1]}}}{{{t[1][1]}}}")),
    )


POSITIVE = st.recursive(POSITIVE_LEAVES, _positive, max_leaves=3)


def _expressions(inner):
    pair = st.tuples(inner, inner)
    return st.one_of(
        pair.map(lambda t: (t[0][0] + t[1][0], f"{t[0][1]} + {t[1][1]}")),
        pair.map(lambda t: (t[0][0] - t[1][0], f"{t[0][1]} - \\left({t[1][1]}\\right)")),
        pair.map(lambda t: (t[0][0] * t[1][0],
                            f"\\left({t[0][1]}\\right)\\left({t[1][1]}\\right)")),
        pair.map(lambda t: (t[0][0] * t[1][0], f"\\left({t[0][1]}\\right) \\cdot {t[1][0]}")
                 if t[1][0].is_Integer else (t[0][0] * t[1][0], f"({t[0][1]})({t[1][1]})")),
        st.tuples(inner, st.sampled_from([2, 3])).map(
            lambda t: (t[0][0] ** t[1], f"\\left({t[0][1]}\\right)^{{{t[1]}}}")),
        inner.map(lambda a: (sp.exp(a[0]), f"e^{{{a[1]}}}")),
        inner.map(lambda a: (sp.exp(a[0]), f"\\exp\\left({a[1]}\\right)")),
        inner.map(lambda a: (1 / (1 + sp.exp(-a[0])),
                             f"\\frac{{1}}{{1 + e^{{-\\left({a[1]}\\right)}}}}")),
        st.tuples(inner, POSITIVE).map(
            lambda t: (t[0][0] / t[1][0], f"\\frac{{{t[0][1]}}}{{{t[1][1]}}}")),
        POSITIVE.map(lambda p: (sp.log(p[0]), f"\\log\\left({p[1]}\\right)")),
        POSITIVE.map(lambda p: (sp.log(p[0]), f"\\ln {p[1]}") if p[1] in ("x", "2")
                     else (sp.log(p[0]), f"\\ln\\left({p[1]}\\right)")),
    )


EXPRESSIONS = st.recursive(LEAVES, _expressions, max_leaves=5)
TRANSFORMS = {
    "expand": sp.expand,
    "together": sp.together,
    "cancel": sp.cancel,
    "powsimp": sp.powsimp,
    "expand_log": lambda e: sp.expand_log(e, force=False),
    "factor_terms": sp.factor_terms,
}


@st.composite
def identities(draw) -> tuple[str, str, str]:
    """(lhs LaTeX as a user writes it, transform name, rhs LaTeX by SymPy)."""
    expr, latex = draw(EXPRESSIONS)
    name = draw(st.sampled_from(sorted(TRANSFORMS)))
    rhs = sp.latex(TRANSFORMS[name](expr))
    return latex, name, rhs


# the same identities around names the document never defines (declared as
# unknown functions, so that today's reader reads f(x) as an application)
WRAPPED_CONTEXT = (
    "---\nderive:\n  symbols:\n    x: positive\n    y: real\n"
    "  functions: ['f(t)', '\\gamma(t)']\n---\n\n"
)
LATEX_WRAPS = {
    "f(y) + .": lambda e: f"f(y) + {e}",
    "gamma(.)": lambda e: f"\\gamma\\left({e}\\right)",
    ". - f(x)": lambda e: f"{e} - f(x)",
}


@st.composite
def wrapped_identities(draw) -> tuple[str, str, str]:
    lhs, name, rhs = draw(identities())
    wrap = draw(st.sampled_from(sorted(LATEX_WRAPS)))
    return LATEX_WRAPS[wrap](lhs), f"{name} in {wrap}", LATEX_WRAPS[wrap](rhs)


# --------------------------------------------------------------------------
# (e) real notes, and real notes broken
# --------------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "docs"
WINDOW = 80  # lines of a note an engine example checks (a whole note costs a minute)


def corpus_paths() -> list[Path]:
    """The real notes; a skip with the reason when ../shared is missing (outside CI)."""
    paths = sorted(p for p in CORPUS.glob("*") if p.suffix in (".md", ".tex"))
    if not paths:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the corpus is missing in CI: {CORPUS}")
        pytest.skip(f"the corpus of real notes is not here: {CORPUS}")
    return paths


def _mutate(text: str, kind: str, rng: random.Random) -> str:
    """One edit of the kind people make by accident."""
    if kind == "delete a brace":
        spots = [i for i, c in enumerate(text) if c in "{}"]
        return text if not spots else (lambda i: text[:i] + text[i + 1 :])(rng.choice(spots))
    if kind == "swap an operator":
        spots = [i for i, c in enumerate(text) if c in "+-=^_"]
        if not spots:
            return text
        i = rng.choice(spots)
        return text[:i] + rng.choice([c for c in "+-=^_" if c != text[i]]) + text[i + 1 :]
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    at = rng.randrange(len(lines))
    if kind == "drop a line":
        del lines[at]
    elif kind == "repeat a line":
        lines.insert(at, lines[at])
    elif kind == "cut a display":
        lines.insert(at, rng.choice(["$$", "\\begin{aligned}", "\\end{align*}", "\\]"]))
    return "\n".join(lines)


MUTATION_KINDS = ("delete a brace", "swap an operator", "drop a line", "repeat a line",
                  "cut a display")


@st.composite
def corpus_documents(draw, *, window: bool = False) -> tuple[str, str, str]:
    """(file name, kind "md"/"tex", text): a real note, maybe a window of it, maybe broken."""
    path = draw(st.sampled_from(corpus_paths()))
    text = path.read_text(encoding="utf-8")
    if window:
        lines = text.split("\n")
        start = draw(st.integers(0, max(0, len(lines) - WINDOW)))
        text = "\n".join(lines[start : start + WINDOW])
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for kind in draw(st.lists(st.sampled_from(MUTATION_KINDS), max_size=4)):
        text = _mutate(text, kind, rng)
    return path.name, "tex" if path.suffix == ".tex" else "md", text


# --------------------------------------------------------------------------
# the properties (also run by bench/fuzz.py)
# --------------------------------------------------------------------------


def _line_count(text: str) -> int:
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


def check_parse(text: str, kind: str = "md") -> Document:
    """Reading a document string, and reading each expression, raise nothing unexpected."""
    started = time.monotonic()
    doc = parse_document(text, "fuzz." + kind, kind)
    lines = _line_count(text)
    for problem in doc.problems:
        assert 1 <= problem.line <= lines, (problem, lines)
        assert problem.message
    for chain in doc.chains:
        assert len(chain.items) >= 2 and len(chain.relations) == len(chain.items) - 1
        for item in chain.items:
            assert 1 <= item.line <= lines, (item, lines)
            try:
                parse_latex(item.latex)
                STATS["expressions read"] += 1
            except LatexError as exc:
                assert exc.message
                STATS["expressions refused"] += 1
    STATS["documents"] += 1
    STATS["chains"] += len(doc.chains)
    STATS["problems"] += len(doc.problems)
    assert time.monotonic() - started < PARSE_WALL
    return doc


def check_bytes(data: bytes, folder: Path) -> Document | None:
    """A file of any bytes: a Document, or DocumentError; nothing else."""
    path = folder / "fuzz.md"
    path.write_bytes(data)
    try:
        doc = read_document(path)
    except DocumentError as exc:
        assert str(exc).startswith(str(path)) and exc.message
        STATS["unreadable files"] += 1
        return None
    text = data.decode("utf-8")
    return check_parse(text) if doc is not None else None


def check_run(documents: list[Document], texts: list[str], out: Path | None = None) -> RunResult:
    """The engine on documents: verdicts, places, time; reports only inside ``out``."""
    started = time.monotonic()
    run = run_engine(documents)
    assert time.monotonic() - started < EXAMPLE_WALL
    for file, text in zip(run.files, texts, strict=True):
        lines = _line_count(text)
        for problem in file.problems:
            assert 0 <= problem.line <= lines, (problem, lines)  # 0: the context as a whole
        for chain in file.chains:
            assert 1 <= chain.line <= lines
            for step in chain.steps:
                assert step.verdict in VERDICTS, step
                assert 1 <= step.line <= lines and 1 <= step.from_line <= lines, step
                if step.verdict == "unparsed":
                    assert step.message, step
                # an internal error is a bug, never an outcome: none may be left
                assert step.verdict != "error", (file.path, step.line, step.message,
                                                 step.traceback)
                STATS[step.verdict] += 1
    render_text(run, verbose=True, color=False)
    json.loads(dumps(run))
    if out is not None:
        before = {p for p in out.parent.rglob("*")}
        written = write_reports(run, out / "reports", {"html", "tex"})
        after = {p for p in out.parent.rglob("*")}
        assert all(p.resolve().parent == (out / "reports").resolve() for p in written)
        assert not {p for p in after - before if not p.is_relative_to(out / "reports")}
        assert after - before == set((out / "reports").rglob("*")) | {out / "reports"} - before
    return run


def check_identity(lhs: str, name: str, rhs: str, context: str = IDENTITY_CONTEXT) -> str:
    """``lhs = rhs`` is true by construction: any verdict but refuted."""
    text = context + f"$$\n{lhs} = {rhs}\n$$\n"
    doc = parse_document(text, "identity.md")
    assert doc.chains, text
    run = check_run([doc], [text])
    verdicts = [s.verdict for c in run.files[0].chains for s in c.steps]
    if not verdicts and getattr(run.files[0].chains[0], "defines", None):
        STATS["identity skipped (a definition head)"] += 1  # `x = x` defines x
        return "definition"
    assert verdicts and "refuted" not in verdicts, (text, run.files[0].chains)
    STATS[f"identity {verdicts[0]}"] += 1
    return verdicts[0]


def check_wrapped_identity(lhs: str, name: str, rhs: str) -> str:
    """A true identity around unknown functions: never refuted (the unknowns cancel)."""
    verdict = check_identity(lhs, name, rhs, WRAPPED_CONTEXT)
    STATS[f"wrapped identity {verdict}"] += 1
    return verdict


def check_corpus_document(name: str, kind: str, text: str, *, engine: bool) -> None:
    """A real note, maybe broken: read without a traceback; through the engine,
    no verdict ``error``."""
    doc = check_parse(text, kind)
    STATS["corpus documents"] += 1
    if engine:
        doc.path = f"{name} (fuzzed)"
        check_run([doc], [text])


# --------------------------------------------------------------------------
# the tests (small profile)
# --------------------------------------------------------------------------


@FUZZ
@given(latex_documents())
def test_grammar_documents_parse(text: str) -> None:
    check_parse(text)
    check_parse(text.replace("$$\n", "\\begin{equation}\n", 1), "tex")


@ENGINE
@given(st.lists(latex_documents(), min_size=1, max_size=2))
def test_grammar_documents_through_the_engine(texts: list[str]) -> None:
    check_run([check_parse(t) for t in texts], texts)


@FUZZ
@given(byte_documents())
def test_byte_documents(tmp_path_factory, data: bytes) -> None:
    check_bytes(data, tmp_path_factory.mktemp("bytes"))


@FUZZ
@given(markdown_documents())
def test_markdown_structure_parses(text: str) -> None:
    check_parse(text)


@ENGINE
@given(markdown_documents())
def test_markdown_structure_through_the_engine_and_reports(tmp_path_factory, text: str) -> None:
    out = tmp_path_factory.mktemp("run") / "out"
    out.mkdir()
    check_run([check_parse(text)], [text], out)


@settings(ENGINE, max_examples=40)
@given(identities())
def test_true_identities_are_never_refuted(identity: tuple[str, str, str]) -> None:
    check_identity(*identity)


@settings(ENGINE, max_examples=25)
@given(wrapped_identities())
def test_true_identities_around_unknown_functions_are_never_refuted(
    identity: tuple[str, str, str],
) -> None:
    check_wrapped_identity(*identity)


@FUZZ
@given(corpus_documents())
def test_real_notes_and_broken_real_notes_are_read_without_a_traceback(
    document: tuple[str, str, str],
) -> None:
    check_corpus_document(*document, engine=False)


@settings(ENGINE, max_examples=10)
@given(corpus_documents(window=True))
def test_broken_real_notes_get_verdicts_and_no_internal_error(
    document: tuple[str, str, str],
) -> None:
    check_corpus_document(*document, engine=True)


def test_every_real_note_gets_verdicts_and_no_internal_error() -> None:
    from derive.check import check_paths

    run = check_paths(corpus_paths(), Options(jobs=2))
    errors = [(f.path, s.line, s.message) for f in run.files for c in f.chains
              for s in c.steps if s.verdict == "error"]
    assert not errors
    assert run.summary.steps > 1000  # the notes were read, not skipped

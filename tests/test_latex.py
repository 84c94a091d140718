"""The LaTeX front end (derive/latex/): a table of inputs → expected SymPy objects.

* CORPUS (tests/latex_corpus.py): informal expressions read into exact SymPy trees.
* The seed note: every distinct side of the note's display math, read under the
  project's context file, either into the meaning its author had or refused with
  a reason (parsers.md §3 lists the 52 sides).
* NEGATIVES: malformed or unreadable input raises LatexError (never anything
  else), with a message and a column that points at the problem.
* Safety: payloads never execute; the module never evaluates text as Python.
* Properties (hypothesis): arbitrary text only ever raises LatexError, quickly;
  generated well-formed expressions equal the SymPy expression built alongside.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from latex_corpus import CORPUS, NOTATIONS

from derive.context import block_context, load_context_file
from derive.latex import LatexError, Notation, parse_latex
from derive.resolve import build_environment

REPO = Path(__file__).resolve().parents[1]
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "cross_entropy_note.md"
CONTEXT = REPO / "derivations" / "cross_entropy_note.derive.yaml"
LATEX_SOURCES = sorted((REPO / "derive" / "latex").rglob("*.py"))


def notation_for(key: str | None) -> Notation:
    return Notation(**NOTATIONS[key]) if key else Notation()


def read(latex: str, notation: Notation | None = None, **kw: bool) -> sp.Basic:
    return parse_latex(latex, notation, **kw)


# --------------------------------------------------------------------------
# 1. The corpus
# --------------------------------------------------------------------------


def _corpus_id(entry: tuple[str, str | None, sp.Basic]) -> str:
    latex, key, _ = entry
    return f"{latex} [{key}]" if key else latex


def test_corpus_is_large_and_distinct() -> None:
    assert len(CORPUS) >= 150
    keys = [(latex, key) for latex, key, _ in CORPUS]
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, duplicates


@pytest.mark.parametrize("entry", CORPUS, ids=[_corpus_id(e) for e in CORPUS])
def test_corpus(entry: tuple[str, str | None, sp.Basic]) -> None:
    latex, key, expected = entry
    relation = isinstance(expected, sp.core.relational.Relational)
    got = read(latex, notation_for(key), relation=relation)
    assert got == expected, f"{latex!r}: got {sp.srepr(got)}, expected {sp.srepr(expected)}"


def test_corpus_symbols_match_the_notation() -> None:
    """The corpus builds its symbols by hand; they must be the ones Notation makes."""
    ml = notation_for("ml")
    for name in "ijkqmn":
        assert ml.symbol(name) == sp.Symbol(name, integer=True, positive=True)
    for name in "xwbzy":
        assert ml.symbol(name) == sp.Symbol(name, real=True)
        assert ml.indexed_base(name) == sp.IndexedBase(name, real=True)
    assert notation_for(None).symbol("a") == sp.Symbol("a", real=True)
    assert notation_for("pos").symbol("p") == sp.Symbol("p", positive=True)
    assert ml.function("sigma") == sp.Function("sigma")


def test_relations_only_with_relation_true() -> None:
    with pytest.raises(LatexError, match="relation inside an expression"):
        read("x = y")
    assert read("x = y", relation=True) == sp.Eq(
        sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    )


def test_mixed_number_is_a_product_not_two_and_a_half() -> None:
    assert read(r"2\frac{1}{2}") == 1
    assert read(r"3\frac{1}{2}") == sp.Rational(3, 2)


def test_sum_body_scope_structure() -> None:
    """`\\sum` takes the rest of the product, not the rest of the expression."""
    k = sp.Symbol("k", real=True)
    got = read(r"\sum_{k=1}^{n} k^2 + 1")
    assert isinstance(got, sp.Add)
    (summ,) = [arg for arg in got.args if isinstance(arg, sp.Sum)]
    assert summ.limits == ((k, 1, sp.Symbol("n", real=True)),)
    assert summ.function == k**2


# --------------------------------------------------------------------------
# 2. The seed note
# --------------------------------------------------------------------------


def seed_text() -> str:
    if not SEED.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"seed note missing in CI: {SEED}")
        pytest.skip(f"seed note not found at {SEED} (shared/ is not beside the repo)")
    return SEED.read_text(encoding="utf-8")


def seed_sides(text: str) -> list[tuple[str, str]]:
    """(side, display block) for every side, split the way parsers.md §3 did:
    strip aligned, split rows at \\\\, drop &, split at =."""
    out = []
    for block in re.findall(r"\$\$(.*?)\$\$", text, re.S):
        body = block.replace(r"\begin{aligned}", "").replace(r"\end{aligned}", "")
        for row in body.split("\\\\"):
            for side in row.replace("&", "").split("="):
                if side.strip():
                    out.append((side.strip(), block))
    return out


@dataclass(frozen=True)
class Unread:
    """A side the front end must refuse, with (part of) the reason it gives."""

    reason: str


class S:
    """The note's names, made by the block's Notation (so assumptions match)."""

    def __init__(self, notation: Notation) -> None:
        self.N = notation
        sym, ib = notation.symbol, notation.indexed_base
        self.L, self.a, self.b, self.w, self.x, self.y, self.z = map(sym, "Labwxyz")
        self.i, self.j, self.k, self.q, self.m, self.n = map(sym, "ijkqmn")
        self.qb = sp.Symbol("q'", **self.q.assumptions0)  # a sum's own q, renamed
        self.A, self.Y, self.Z = ib("a"), ib("y"), ib("z")
        self.sigma = notation.function("sigma")
        self.p = notation.function("p")

    def dsigma(self, arg: sp.Expr) -> sp.Expr:  # σ'(arg) for a symbol arg
        return sp.Derivative(self.sigma(arg), arg)

    def softmax_denominator(self) -> sp.Expr:
        return sp.Sum(sp.exp(self.Z[self.k]), (self.k, 1, self.m))


def _bce(s: S, upper: sp.Expr) -> sp.Expr:
    y_i, a_i = s.Y[s.i], s.A[s.i]
    body = y_i * sp.log(a_i) + (1 - y_i) * sp.log(1 - a_i)
    return -sp.Sum(body, (s.i, 1, upper)) / s.n


def _sm(s: S, index: sp.Expr) -> sp.Expr:
    return sp.exp(s.Z[index]) / s.softmax_denominator()


ELLIPSIS = "an ellipsis (…) cannot be read"
ELLIPSIS_LINE = (
    r"-\frac{1}{n} \sum_i^n{y_{i1}}\log{a_{i1}} + "
    r"{y_{i2}\log{a_{i2}} + ... + {y_{im}}\log{a_{im}}}"
)
SUM_WITHOUT_INDEX_LINE = (
    r"\frac{\partial{(-\sum{y_q \log{a_q}})}}{\partial{a_q}} * "
    r"\frac{\partial{a_q}}{\partial{z_j}}"
)
NO_INDEX = "\\sum without an index"

# Every distinct side of the note, in order of first appearance → its meaning.
SEED_EXPECTED: dict[str, object] = {
    "L": lambda s: s.L,
    r"-\frac{1}{n} \sum_i^n{{y_i \log{a_i} + (1-y_i) \log{(1-a_i)}}}": lambda s: _bce(s, s.n),
    ELLIPSIS_LINE: Unread(ELLIPSIS),
    r"-\frac{1}{n} \sum_i^n \sum_j^m {y_{ij}} \log{a_{ij}}": lambda s: (
        -sp.Sum(sp.Sum(s.Y[s.i, s.j] * sp.log(s.A[s.i, s.j]), (s.j, 1, s.m)), (s.i, 1, s.n)) / s.n
    ),
    r"ylnp(x) + (1-y)ln(1-p(x))": lambda s: (
        s.y * sp.log(s.p(s.x)) + (1 - s.y) * sp.log(1 - s.p(s.x))
    ),
    # H(p, q) with p and q declared as functions (the block's context): a function
    # named without its argument cannot be an argument (see test_h_of_p_q below).
    r"H(p, q)": Unread("p is a declared function but has no argument here"),
    r"-\sum{ p(x)\log q(x) }": Unread(NO_INDEX),
    r"\frac{1}{2n} {\sum_{i}{||a_i - y_i||^2}}": lambda s: (
        sp.Sum((s.A[s.i] - s.Y[s.i]) ** 2, (s.i, 1, s.n)) / (2 * s.n)
    ),
    r"\frac{(a-y)^2}{2}": lambda s: (s.a - s.y) ** 2 / 2,
    r"\frac{\partial{L}}{\partial{w}}": lambda s: sp.Derivative(s.L, s.w),
    r"2 * 1/2 * (a-y) * \sigma'(z) * (wx+b)'_w": lambda s: (
        (s.a - s.y) * s.dsigma(s.z) * sp.Derivative(s.w * s.x + s.b, s.w)
    ),
    r"(a-y) * \sigma'(z) * x": lambda s: (s.a - s.y) * s.dsigma(s.z) * s.x,
    r"\frac{\partial{L}}{\partial{b}}": lambda s: sp.Derivative(s.L, s.b),
    r"2 * 1/2 * (a-y) * \sigma'(z) * (wx+b)'_b": lambda s: (
        (s.a - s.y) * s.dsigma(s.z) * sp.Derivative(s.w * s.x + s.b, s.b)
    ),
    r"(a-y) * \sigma'(z) * 1": lambda s: (s.a - s.y) * s.dsigma(s.z),
    r"-\frac{1}{n} \sum_i{{y_i \log{a_i} + (1-y_i) \log{(1-a_i)}}}": lambda s: _bce(s, s.n),
    r"-(y \log{a} + (1-y) \log{(1-a)})": lambda s: (
        -(s.y * sp.log(s.a) + (1 - s.y) * sp.log(1 - s.a))
    ),
    r"-[\frac{y}{a} * \sigma'(z) * x -\frac{1-y}{1-a}*\sigma'(z)*x]": lambda s: (
        -(s.y / s.a * s.dsigma(s.z) * s.x - (1 - s.y) / (1 - s.a) * s.dsigma(s.z) * s.x)
    ),
    r"-[ \sigma'(z)*x*(\frac{y}{a} - \frac{1-y}{1-a}) ]": lambda s: (
        -(s.dsigma(s.z) * s.x * (s.y / s.a - (1 - s.y) / (1 - s.a)))
    ),
    r"-[ \sigma(z)(1-\sigma(z))*x*(\frac{y}{a}-\frac{1-y}{1-a}) ]": lambda s: (
        -(s.sigma(s.z) * (1 - s.sigma(s.z)) * s.x * (s.y / s.a - (1 - s.y) / (1 - s.a)))
    ),
    r"-[ a(1-a)*x*(\frac{y}{a}-\frac{1-y}{1-a}) ]": lambda s: (
        -(s.a * (1 - s.a) * s.x * (s.y / s.a - (1 - s.y) / (1 - s.a)))
    ),
    # a(1-a) is a product, so it cancels against the fraction's denominator
    r"-x[ a(1-a)\frac{y-a}{a(1-a)} ]": lambda s: -s.x * (s.y - s.a),
    r"x(a-y)": lambda s: s.x * (s.a - s.y),
    r"-[ \frac{y}{a}*\sigma'(x)-\frac{1-y}{1-a}*\sigma'(x)]": lambda s: (
        -(s.y / s.a * s.dsigma(s.x) - (1 - s.y) / (1 - s.a) * s.dsigma(s.x))
    ),
    r"a - y": lambda s: s.a - s.y,
    r"\sigma(x)": lambda s: s.sigma(s.x),
    r"sigmoid(z)": lambda s: 1 / (1 + sp.exp(-s.z)),
    r"\frac{1}{1+e^{-z}}": lambda s: 1 / (1 + sp.exp(-s.z)),
    r"a_{j}": lambda s: s.A[s.j],
    r"\frac{e^{z_j}}{\sum_k^m{e^{z_k}}}": lambda s: _sm(s, s.j),
    r"-\sum_j^m y_j \ln{a_j}": lambda s: -sp.Sum(s.Y[s.j] * sp.log(s.A[s.j]), (s.j, 1, s.m)),
    r"\frac{\partial{L}}{\partial{z_j}}": lambda s: sp.Derivative(s.L, s.Z[s.j]),
    r"\frac{\partial{L}}{\partial{a_q}} * \frac{\partial{a_q}}{\partial{z_j}}": lambda s: (
        sp.Derivative(s.L, s.A[s.q]) * sp.Derivative(s.A[s.q], s.Z[s.j])
    ),
    # \sum{…} with no index: q is the one declared index in its body, so it runs over q;
    # the derivative by a_q reads the sum's own q as another letter (q')
    SUM_WITHOUT_INDEX_LINE: lambda s: (
        sp.Derivative(-sp.Sum(s.Y[s.qb] * sp.log(s.A[s.qb]), (s.qb, 1, s.m)), s.A[s.q])
        * sp.Derivative(s.A[s.q], s.Z[s.j])
    ),
    # the sum's braces are followed by a factor that uses q: the body extends over it
    r"-\sum_q^m{y_q * \frac{1}{a_q}} * \frac{\partial{a_q}}{\partial{z_j}}": lambda s: (
        -sp.Sum(s.Y[s.q] / s.A[s.q] * sp.Derivative(s.A[s.q], s.Z[s.j]), (s.q, 1, s.m))
    ),
    r"\frac{\partial{a_q}}{\partial{z_j}}": lambda s: sp.Derivative(s.A[s.q], s.Z[s.j]),
    r"\frac{\partial{a_j}}{\partial{z_j}}": lambda s: sp.Derivative(s.A[s.j], s.Z[s.j]),
    r"\frac{\partial{\frac{e^{z_j}}{\sum_k^m{e^{z_k}}}}}{\partial{z_j}}": lambda s: sp.Derivative(
        _sm(s, s.j), s.Z[s.j]
    ),
    r"\frac{ e^{z_j}\sum_k^m{e^{z_k}} - e^{z_j}e^{z_j} }{\sum_k^m{e^{z_k}}\sum_k^m{e^{z_k}}}": (
        lambda s: (
            (sp.exp(s.Z[s.j]) * s.softmax_denominator() - sp.exp(s.Z[s.j]) * sp.exp(s.Z[s.j]))
            / (s.softmax_denominator() * s.softmax_denominator())
        )
    ),
    r"\frac{ e^{z_j}(\sum_k^m{e^{z_k}} - e^{z_j})}{\sum_k^m{e^{z_k}}\sum_k^m{e^{z_k}}}": (
        lambda s: (
            sp.exp(s.Z[s.j])
            * (s.softmax_denominator() - sp.exp(s.Z[s.j]))
            / (s.softmax_denominator() * s.softmax_denominator())
        )
    ),
    r"\frac{ e^{z_j}}{\sum_k^m{e^{z_k}}}\frac{ \sum_k^m{e^{z_k}} - e^{z_j}}{\sum_k^m{e^{z_k}}}": (
        lambda s: (
            _sm(s, s.j) * (s.softmax_denominator() - sp.exp(s.Z[s.j])) / s.softmax_denominator()
        )
    ),
    r"\frac{ e^{z_j}}{\sum_k^m{e^{z_k}}}(1 - \frac{ e^{z_j}}{\sum_k^m{e^{z_k}}})": lambda s: (
        _sm(s, s.j) * (1 - _sm(s, s.j))
    ),
    r"a_j(1-a_j)": lambda s: s.A[s.j] * (1 - s.A[s.j]),
    r"\frac{\partial{\frac{e^{z_q}}{\sum_k^m{e^{z_k}}}}}{\partial{z_j}}": lambda s: sp.Derivative(
        _sm(s, s.q), s.Z[s.j]
    ),
    r"\frac{0 - e^{z_q}e^{z_j}}{\sum_k^m{e^{z_k}}}": lambda s: (
        -sp.exp(s.Z[s.q]) * sp.exp(s.Z[s.j]) / s.softmax_denominator()
    ),
    r"\frac{0 - e^{z_q}e^{z_j}}{\sum_k^m{e^{z_k}}\sum_k^m{e^{z_k}}}": lambda s: (
        -sp.exp(s.Z[s.q]) * sp.exp(s.Z[s.j]) / (s.softmax_denominator() * s.softmax_denominator())
    ),
    r"- \frac{ e^{z_q}}{\sum_k^m{e^{z_k}}}\frac{ e^{z_j}}{\sum_k^m{e^{z_k}}}": lambda s: (
        -_sm(s, s.q) * _sm(s, s.j)
    ),
    r"- a_q a_j": lambda s: -s.A[s.q] * s.A[s.j],
    # \sum_{q \neq j}: the full sum minus the q = j term
    r"-\frac{y_j}{a_j}a_j(1-a_j) + a_q a_j\sum_{q\neq{j}}\frac{y_q}{a_q}": lambda s: (
        -s.Y[s.j] / s.A[s.j] * s.A[s.j] * (1 - s.A[s.j])
        + s.A[s.q] * s.A[s.j] * (sp.Sum(s.Y[s.q] / s.A[s.q], (s.q, 1, s.m)) - s.Y[s.j] / s.A[s.j])
    ),
    r"y_j(a_j-1) + a_j\sum_{q\neq{j}}y_q": lambda s: (
        s.Y[s.j] * (s.A[s.j] - 1) + s.A[s.j] * (sp.Sum(s.Y[s.q], (s.q, 1, s.m)) - s.Y[s.j])
    ),
    # the sum is kept whole: no truncation to a_j - y_j
    r"-y_j + a_j\sum_{q}y_q": lambda s: -s.Y[s.j] + s.A[s.j] * sp.Sum(s.Y[s.q], (s.q, 1, s.m)),
    r"a_j - y_j": lambda s: s.A[s.j] - s.Y[s.j],
}


def seed_environment_notation(block: str) -> Notation:
    """The Notation the project's context file gives the display block."""
    spec = block_context(load_context_file(CONTEXT), None, str(CONTEXT), 1, block)
    return build_environment(spec, []).notation


def seed_outcome(side: str, block: str) -> tuple[str, object]:
    """("read", expr) or ("unread", LatexError)."""
    try:
        return "read", read(side, seed_environment_notation(block))
    except LatexError as exc:
        return "unread", exc


def test_seed_note_sides_are_the_52_of_the_research() -> None:
    sides = seed_sides(seed_text())
    assert len(sides) == 65
    distinct = list(dict.fromkeys(side for side, _ in sides))
    assert len(distinct) == 52
    assert distinct == list(SEED_EXPECTED)


def _first_blocks() -> list[tuple[str, str]]:
    if not SEED.is_file():
        return [(side, "") for side in SEED_EXPECTED]
    firsts: dict[str, str] = {}
    for side, block in seed_sides(SEED.read_text(encoding="utf-8")):
        firsts.setdefault(side, block)
    return list(firsts.items())


@pytest.mark.parametrize(
    ("side", "block"), _first_blocks(), ids=[s[:60] for s, _ in _first_blocks()]
)
def test_seed_side(side: str, block: str) -> None:
    seed_text()  # skip (or fail in CI) when the note is missing
    expected = SEED_EXPECTED[side]
    status, value = seed_outcome(side, block)
    if isinstance(expected, Unread):
        assert status == "unread", f"{side!r} should be refused, was read as {value}"
        assert isinstance(value, LatexError)
        assert expected.reason in value.message
        assert value.column >= 1
        return
    assert status == "read", f"{side!r} was not read: {value}"
    want = expected(S(seed_environment_notation(block)))  # type: ignore[operator]
    assert value == want, f"{side!r}:\n got {sp.srepr(value)}\nwant {sp.srepr(want)}"


# The full table: what the front end makes of each distinct side, and why not.
SEED_UNREAD_TABLE = {
    ELLIPSIS_LINE: ("...", 67, ELLIPSIS),
    r"H(p, q)": ("p, q)", 3, "p is a declared function but has no argument here"),
    r"-\sum{ p(x)\log q(x) }": (r"\sum{", 2, NO_INDEX),
}


def test_seed_note_table_read_and_unread() -> None:
    seed_text()  # skip (or fail in CI) when the note is missing
    rows = []
    unread: dict[str, tuple[str, int, str]] = {}
    for side, block in _first_blocks():
        status, value = seed_outcome(side, block)
        if status == "read":
            rows.append(f"read    {side}")
        else:
            assert isinstance(value, LatexError)
            rows.append(f"UNREAD  {side}\n        column {value.column}: {value.message}")
            unread[side] = (
                value.fragment[: len(SEED_UNREAD_TABLE.get(side, ("",))[0])],
                value.column,
                value.message,
            )
    print("\n".join(rows))
    seed_text()
    assert len(rows) == 52
    assert {s: (frag, col) for s, (frag, col, _) in unread.items()} == {
        s: (frag, col) for s, (frag, col, _) in SEED_UNREAD_TABLE.items()
    }
    for side, (_, _, reason) in SEED_UNREAD_TABLE.items():
        assert reason in unread[side][2]
    assert len(rows) - len(unread) == 49


def test_h_of_p_q_with_plain_arguments() -> None:
    """`H(p, q)` is read as the call its author meant when H is the function and
    p, q are plain names; with p, q declared as functions it is refused (above)."""
    notation = Notation(functions={"H"})
    p, q = notation.symbol("p"), notation.symbol("q")
    assert read("H(p, q)", notation) == sp.Function("H")(p, q)


def test_seed_awkward_forms_exact() -> None:
    """The forms every other parser got wrong (parsers.md §3), pinned one by one."""
    base = load_context_file(CONTEXT)
    notation = build_environment(base, []).notation
    s = S(notation)
    assert read(r"\sigma'(z)", notation) == sp.Derivative(s.sigma(s.z), s.z)
    assert read(r"\sum_k^m{e^{z_k}}", notation) == sp.Sum(sp.exp(s.Z[s.k]), (s.k, 1, s.m))
    assert read(r"\frac{\partial{L}}{\partial{w}}", notation) == sp.Derivative(s.L, s.w)
    assert read(r"(wx+b)'_w", notation) == sp.Derivative(s.b + s.w * s.x, s.w)
    assert read(r"\log{a}", notation) == sp.log(s.a)
    assert read(r"e^{-z}", notation) == sp.exp(-s.z)
    assert read(r"a(1-a)", notation) == s.a * (1 - s.a)
    with_p = replace(notation, functions=notation.functions | {"p"})
    assert read(r"ylnp(x)", with_p) == s.y * sp.log(sp.Function("p")(s.x))
    got = read(r"-y_j + a_j\sum_{q}y_q", notation)
    assert got.has(sp.Sum) and got == -s.Y[s.j] + s.A[s.j] * sp.Sum(s.Y[s.q], (s.q, 1, s.m))
    assert read(r"\sum_{q\neq{j}}\frac{y_q}{a_q}", notation) == (
        sp.Sum(s.Y[s.q] / s.A[s.q], (s.q, 1, s.m)) - s.Y[s.j] / s.A[s.j]
    )


# --------------------------------------------------------------------------
# 3. Malformed and unreadable input
# --------------------------------------------------------------------------

_NOTHING_DECLARED = None
NEGATIVES: list[tuple[str, str | None, int, str]] = [
    # (latex, notation key, column of the problem, part of the message)
    (r"\frac{1}{2", None, 9, "never closed"),
    (r"x)", None, 2, "closing bracket without an opening one"),
    (r"{x", None, 1, "never closed"),
    (r"x}", None, 2, "closing bracket without an opening one"),
    (r"(x]", None, 3, "does not match the bracket opened at column 1"),
    (r"\foo", None, 1, "unknown command \\foo"),
    (r"\text{__import__('os').system('touch /tmp/pwned')}", None, 1, "text inside math"),
    (r"\operatorname{eval}(x)", None, 1, "unknown name 'eval'"),
    (r"\mathrm{exec}(x)", None, 1, "unknown name 'exec'"),
    (r"\mathbb{E}[x]", None, 1, "\\mathbb"),
    (r"\frac{}{}", None, 6, "empty argument"),
    (r"x^", None, 3, "ends too early"),
    (r"_", None, 1, "subscript with nothing after"),
    (r"x_{}", None, 4, "empty expression"),
    (r"\sum{x}", None, 1, "without an index"),
    (r"\sum_{q \in S} x_q", None, 7, "cannot read the limits"),
    (r"\sum_{k=1} x_k", None, 7, "no upper bound"),
    (r"\sum_{k=1}^{n}", None, 1, "without a body"),
    (r"...", None, 1, "ellipsis"),
    (r"x + ... + y", None, 5, "ellipsis"),
    (r"\cdots", None, 1, "ellipsis"),
    (r"x_1 + \ldots + x_n", None, 7, "ellipsis"),
    (r"xyz", _NOTHING_DECLARED, 1, "cannot tell what the letters 'xyz' mean"),
    (r"abc", _NOTHING_DECLARED, 1, "cannot tell what the letters 'abc' mean"),
    (r"ylnp(x)", _NOTHING_DECLARED, 1, "'y', 'p' are not declared"),
    (r"lnx", _NOTHING_DECLARED, 1, "'x' is not declared"),
    (r"x + wxc", "ml", 5, "letters 'wxc'"),
    (r"$", None, 1, "unexpected character '$'"),
    (r"x = $y$", None, 5, "unexpected character '$'"),
    (r"α", None, 1, "unexpected character 'α'"),
    (r"x + α", None, 5, "unexpected character 'α'"),
    (r"交叉熵", None, 1, "unexpected character '交'"),
    ("\x00", None, 1, "unexpected character"),
    (r"x \\ y", None, 3, "unknown command \\\\"),
    ("\\", None, 1, "a lone backslash"),
    ("x+" * 2500 + "x", None, 1, "longer than 4000 characters"),
    ("(" * 200 + "x" + ")" * 200, None, 61, "nested deeper than 60 levels"),
    ("x" + "_{x" * 100 + "}" * 100, None, 226, "nested deeper"),
    (r"2^{10^{10}}", None, 12, "too large to compute exactly"),
    (r"100000!", None, 7, "factorial too large"),
    (r"x!!", None, 2, "double factorial"),
    ("9" * 201, None, 1, "more than 200 digits"),
    (r"1.5.5", None, 4, "two decimal points"),
    (r"\frac{d}{dx}", None, 1, "with nothing after it"),
    (r"\frac{\partial^2 L}{\partial w}", None, 1, "order 2 in the numerator but 1"),
    (r"\frac{\partial L}{\partial 2}", None, 19, "with respect to a variable"),
    (r"\frac{\partial^{n} L}{\partial w^{n}}", None, 15, "order of the derivative"),
    (r"f'(x)", None, 1, "f is not a declared function"),
    (r"x''", None, 1, "x is not a declared function"),
    (r"(x)'", None, 4, "needs the variable"),
    (r"\sin'(x)", None, 1, "prime on the built-in sin"),
    (r"|x", None, 3, "'|' opened at column 1 is never closed"),
    (r"\left( x", None, 6, "never closed"),
    (r"a +* b", None, 4, "'*' with nothing before it"),
    (r"--x", None, 2, "two signs in a row"),
    (r"x + -y", None, 5, "two signs in a row"),
    (r"*x", None, 1, "with nothing before it"),
    (r"x^^2", None, 3, "unexpected '^'"),
    (r"x^{1}^{2}", None, 6, "double exponent"),
    (r"", None, 1, "empty expression"),
    (r"\sigma", "ml", 1, "declared function but has no argument"),
    (r"\sigma(z", "ml", 7, "never closed"),
    (r"\sigma'(x, y)", "ml", 1, "exactly one argument"),
    (r"\int x dx", None, 1, "integrals are not supported"),
    (r"\lim_{x \to 0} x", None, 1, "limits are not supported"),
    (r"\mathbf{w}", None, 1, "vectors"),
    (r"x \pm 1", None, 3, "± cannot be read"),
    (r"\hat{xy}", None, 1, "cannot read \\hat{xy}"),
    (r"a,b", None, 2, "could not read from here"),
    (r"x < y < z", None, 7, "could not read from here"),
    (r"\exp_2(x)", None, 6, "cannot read a subscript on exp"),
    (r"x + y_{a+}", None, 10, "ends too early"),
]


@pytest.mark.parametrize(
    ("latex", "key", "column", "message"),
    NEGATIVES,
    ids=[(n[0][:40] + (f" [{n[1]}]" if n[1] else "")) or "<empty>" for n in NEGATIVES],
)
def test_negative(latex: str, key: str | None, column: int, message: str) -> None:
    relation = latex.count("=") == 1 or "<" in latex
    with pytest.raises(LatexError) as info:
        read(latex, notation_for(key), relation=relation)
    exc = info.value
    assert message in exc.message, exc.message
    assert exc.column == column, f"{latex[:40]!r}: column {exc.column}, want {column}: {exc}"
    assert f"(column {column})" in str(exc)


def test_enough_negatives() -> None:
    assert len(NEGATIVES) >= 30


def test_deep_unbracketed_chains_are_latex_errors() -> None:
    """Nesting without brackets (`\\log \\log … x`) must not escape as RecursionError."""
    for source in (r"\log " * 400 + "x", r"\frac{d}{dx}" * 300 + "x", r"\sqrt " * 700 + "x"):
        try:
            read(source)
        except LatexError:
            pass


PAYLOADS = [
    r"\text{__import__('os').system('touch {marker}')}",
    r"\mathrm{__import__('os').system('touch {marker}')}",
    r"\operatorname{exec}(open('{marker}', 'w'))",
    "__import__('os').system('touch {marker}')",
    "(lambda: open('{marker}', 'w'))()",
    "x := open('{marker}', 'w')",
    r"\eval{open('{marker}','w')}",
    r"\frac{__import__('os')}{system('touch {marker}')}",
    r"e^{\text{open('{marker}','w')}}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_never_execute(payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    source = payload.replace("{marker}", str(marker))
    with pytest.raises(LatexError):
        read(source)
    assert not marker.exists()


def test_module_never_evaluates_text() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in LATEX_SOURCES)
    # a call of any of these (the parser's own methods have other names)
    calls = re.findall(
        r"(?<![\w.])(?<!def )(eval|exec|sympify|parse_expr|compile|__import__)\s*\(", text
    )
    assert calls == []
    assert "import ast" not in text and "sympy.parsing" not in text


# --------------------------------------------------------------------------
# 4. Properties
# --------------------------------------------------------------------------

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = 1.0  # seconds for one parse

ALPHABET = list("xyzabenk012 +-*/^_'()[]{}|,.=<!&~") + [
    "\\frac",
    "\\sum",
    "\\prod",
    "\\sqrt",
    "\\log",
    "\\ln",
    "\\partial",
    "\\sigma",
    "\\left",
    "\\right",
    "\\cdot",
    "\\neq",
    "\\pi",
    "\\text",
    "\\binom",
    "\\hat",
    "\\mathrm",
    "\\{",
    "\\}",
    "\\|",
    "\\,",
    "d",
    "\\",
    "...",
    "ln",
    "sigmoid",
    "\\infty",
    "\\exp",
    "\\max",
]
FUZZ_NOTATION = Notation(**NOTATIONS["ml"])


def _parse_quickly(source: str, notation: Notation | None) -> None:
    start = time.perf_counter()
    try:
        parse_latex(source, notation, relation=True)
    except LatexError as exc:
        assert isinstance(exc.column, int) and exc.column >= 0
        assert exc.message
    elapsed = time.perf_counter() - start
    assert elapsed < SLOW, f"{source!r} took {elapsed:.2f} s"


@PROPERTY
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_fuzz_latexish_only_latex_errors(source: str) -> None:
    _parse_quickly(source, None)
    _parse_quickly(source, FUZZ_NOTATION)


@PROPERTY
@given(st.binary(max_size=120))
def test_fuzz_bytes_only_latex_errors(data: bytes) -> None:
    _parse_quickly(data.decode("utf-8", errors="replace"), None)


# Well-formed expressions and the SymPy value built alongside: (latex, value, atomic).
_LETTERS = "abcrstuvwxyz"  # not e (Euler's number), not d (a differential)
Gen = tuple[str, sp.Expr, bool]


def _leaf() -> st.SearchStrategy[Gen]:
    numbers = st.integers(0, 99).map(lambda v: (str(v), sp.Integer(v), True))
    letters = st.sampled_from(_LETTERS).map(lambda c: (c, sp.Symbol(c, real=True), True))
    return numbers | letters


def _wrap(child: Gen) -> str:
    return child[0] if child[2] else f"({child[0]})"


def _extend(children: st.SearchStrategy[Gen]) -> st.SearchStrategy[Gen]:
    pairs = st.tuples(children, children)
    plus = pairs.map(lambda ab: (f"{ab[0][0]} + {_wrap(ab[1])}", ab[0][1] + ab[1][1], False))
    minus = pairs.map(lambda ab: (f"{ab[0][0]} - {_wrap(ab[1])}", ab[0][1] - ab[1][1], False))
    times = st.tuples(children, children, st.sampled_from(["*", r"\cdot", r"\times"])).map(
        lambda abo: (f"{_wrap(abo[0])} {abo[2]} {_wrap(abo[1])}", abo[0][1] * abo[1][1], False)
    )
    # juxtaposition: a number before a letter, or brackets after anything
    implicit = st.tuples(children, children).map(
        lambda ab: (f"{_wrap(ab[0])}({ab[1][0]})", ab[0][1] * ab[1][1], False)
    )
    frac = pairs.filter(lambda ab: ab[1][1] != 0).map(
        lambda ab: (rf"\frac{{{ab[0][0]}}}{{{ab[1][0]}}}", ab[0][1] / ab[1][1], True)
    )
    power = st.tuples(children, st.integers(0, 5)).map(
        lambda ce: (
            f"{ce[0][0] if ce[0][2] and not ce[0][0].startswith(chr(92)) else f'({ce[0][0]})'}"
            f"^{{{ce[1]}}}",
            ce[0][1] ** ce[1],
            False,
        )
    )
    negated = children.map(lambda c: (f"-{_wrap(c)}", -c[1], False))
    paren = children.map(lambda c: (f"({c[0]})", c[1], True))
    bracket = children.map(lambda c: (rf"\left[ {c[0]} \right]", c[1], True))
    return plus | minus | times | implicit | frac | power | negated | paren | bracket


WELL_FORMED = st.recursive(_leaf(), _extend, max_leaves=12)


@PROPERTY
@given(WELL_FORMED)
def test_generated_expressions_equal_parallel_sympy(generated: Gen) -> None:
    source, expected, _ = generated
    start = time.perf_counter()
    got = parse_latex(source)
    assert time.perf_counter() - start < SLOW
    assert got == expected, f"{source!r}: {got} != {expected}"


def test_delta_with_two_indices_is_the_kronecker_delta():
    assert parse_latex(r"a_i(\delta_{ij} - a_j)") == (
        sp.KroneckerDelta(sp.Symbol("i", real=True), sp.Symbol("j", real=True))
        - sp.IndexedBase("a", real=True)[sp.Symbol("j", real=True)]
    ) * sp.IndexedBase("a", real=True)[sp.Symbol("i", real=True)]


def test_delta_declared_as_a_name_stays_an_indexed_name():
    notation = Notation(symbols={"delta": {"real": True}})
    assert isinstance(parse_latex(r"\delta_{ij}", notation), sp.Indexed)

"""Mutation testing of the checker: break one line of a correct derivation,
and see whether `derive` refutes it and blames the right line.

For every verified step of ``derivations/`` (a step that is proved or bounded,
in a chain that pins no expectations and whose steps all hold) the right-hand
expression of the step (a middle or last line of its chain) is mutated on the
LaTeX text: sign flip, dropped factor, exponent ±1, swapped symbols, sum bound
off by one, wrong index, missing square, log↔exp, product→sum.  Each mutant is
a separate document, byte-identical to the original except for the one
mutated expression, so every line number stays the same; all mutants run in
one ``check_documents`` call so the worker pool is reused.

A mutant is

* *unparsed* when the checker cannot read the mutated line (syntax breakage,
  not a math error): excluded from the score;
* *equivalent* when the mutated expression is proved equal to the original one
  (a second document ``original = mutant`` in the same chain, hence the same
  context); excluded from the score;
* *refuted* when a step into or out of the mutated line is refuted; its
  *culprit is right* when the step into the mutated line carries the culprit
  mark, or, for the last line of a chain, when the step ending there is refuted.

Speed: only the mutated chain and the chains before it that define a name
(whose definitions are in force for it) are checked; the rest of the document
is parsed but not checked (``--full-documents`` checks everything).

    python bench/mutate.py --jobs 2                 # every mutant
    python bench/mutate.py --sample 50 --seed 1     # a fixed random sample
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from derive.chain import defined_head  # noqa: E402
from derive.check import Options, check_documents, collect_documents  # noqa: E402
from derive.model import (  # noqa: E402
    GOOD_VERDICTS,
    Document,
    RawChain,
    RunResult,
    SourceItem,
    StepResult,
)
from derive.read import parse_document, read_document  # noqa: E402
from derive.resolve import definition_head  # noqa: E402

OPERATORS = (
    "sign-flip",
    "dropped-factor",
    "exponent",
    "swapped-symbols",
    "sum-bound",
    "wrong-index",
    "missing-square",
    "log-exp",
    "product-sum",
)
DEFAULT_CAP = 12  # mutants per step
DEFAULT_TIMEOUT = 6.0
PHASES: dict[str, float] = {}  # seconds spent in each check_documents call

# --------------------------------------------------------------------------
# A small LaTeX reader: tokens, then atoms (factors) and operators per level
# --------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<cmd>\\[A-Za-z]+)|(?P<esc>\\.)|(?P<num>\d+(?:\.\d+)?)|(?P<letter>[A-Za-z])"
    r"|(?P<ws>\s+)|(?P<ch>.)",
    re.S,
)
# commands that apply to what follows, and are not factors on their own
FUNCTIONS = {r"\log", r"\ln", r"\exp", r"\tanh", r"\sinh", r"\cosh", r"\sin", r"\cos",
             r"\tan", r"\sigma"}
PREFIXES = {r"\partial", r"\nabla"}
BIG_OPERATORS = {r"\sum", r"\prod"}
TEXT_COMMANDS = {r"\mathrm", r"\operatorname", r"\text", r"\mathit"}
SPACES = {r"\,", r"\;", r"\!", r"\:", r"\quad", r"\qquad"}
TIMES = {"*", r"\cdot", r"\times"}
OPENERS = {"(": ")", "[": "]", "{": "}"}


@dataclass
class Tok:
    kind: str  # cmd esc num letter ws ch
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Tok]:
    return [Tok(m.lastgroup or "ch", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@dataclass
class Script:
    start: int  # position of ^ or _
    end: int
    content: tuple[int, int]  # span of the content (inside braces if braced)
    braced: bool
    seq: Seq | None  # parsed content


@dataclass
class Atom:
    kind: str  # letter num symbol func prefix big group frac text other
    start: int
    end: int
    base: tuple[int, int]  # span of the base token(s)
    sub: Script | None = None
    sup: Script | None = None
    children: list[Seq] = field(default_factory=list)  # groups, \frac arguments, call args
    opener: str = ""  # for groups: "(", "[", "{", "\\left("

    @property
    def droppable(self) -> bool:
        return self.kind not in ("prefix", "big", "other")


@dataclass
class Op:
    text: str  # + - * \cdot = & / ,
    start: int
    end: int


@dataclass
class Seq:
    start: int
    end: int
    parts: list[Atom | Op]


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = [t for t in tokenize(text)]
        self.i = 0

    def peek(self, skip_ws: bool = True) -> Tok | None:
        j = self.i
        while j < len(self.toks) and skip_ws and self._blank(self.toks[j]):
            j += 1
        return self.toks[j] if j < len(self.toks) else None

    @staticmethod
    def _blank(t: Tok) -> bool:
        return t.kind == "ws" or (t.kind == "esc" and t.text in SPACES) or t.text in SPACES

    def skip_ws(self) -> None:
        while self.i < len(self.toks) and self._blank(self.toks[self.i]):
            self.i += 1

    def next(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    # a sequence ends at its closer (not consumed) or at the end of the text
    def seq(self, closers: set[str]) -> Seq:
        start = self.toks[self.i].start if not self.at_end() else len(self.text)
        parts: list[Atom | Op] = []
        while True:
            self.skip_ws()
            if self.at_end():
                break
            t = self.toks[self.i]
            if t.text in closers or (t.text == r"\right" and r"\right" in closers):
                break
            if t.text in ("+", "-", "=", "&", "/", ",") or t.text in TIMES:
                self.i += 1
                parts.append(Op(t.text, t.start, t.end))
                continue
            if t.text in (")", "]", "}", r"\right"):  # stray closer: stop here
                break
            parts.append(self.atom())
        end = self.toks[self.i - 1].end if self.i > 0 and parts else start
        return Seq(start, end, parts)

    def group(self, opener: Tok) -> Atom:
        closer = OPENERS[opener.text]
        inner = self.seq({closer})
        if not self.at_end() and self.toks[self.i].text == closer:
            end = self.next().end
        else:
            end = inner.end
        return Atom("group", opener.start, end, (opener.start, end), children=[inner],
                    opener=opener.text)

    def braced(self) -> tuple[Seq, int, int] | None:
        """A brace group right here: (content, start, end)."""
        self.skip_ws()
        if self.at_end() or self.toks[self.i].text != "{":
            return None
        opener = self.next()
        inner = self.seq({"}"})
        end = self.next().end if not self.at_end() else inner.end
        return inner, opener.start, end

    def script(self) -> Script:
        mark = self.next()  # ^ or _
        self.skip_ws()
        if self.at_end():
            return Script(mark.start, mark.end, (mark.end, mark.end), False, None)
        t = self.toks[self.i]
        if t.text == "{":
            got = self.braced()
            assert got is not None
            inner, _, end = got
            return Script(mark.start, end, (inner.start, inner.end) if inner.parts else
                          (end - 1, end - 1), True, inner)
        self.i += 1
        if t.kind == "cmd":  # ^\prime and the like
            return Script(mark.start, t.end, (t.start, t.end), False, None)
        inner = Seq(t.start, t.end, [Atom(t.kind if t.kind in ("letter", "num") else "other",
                                          t.start, t.end, (t.start, t.end))])
        return Script(mark.start, t.end, (t.start, t.end), False, inner)

    def atom(self) -> Atom:
        t = self.next()
        atom: Atom
        if t.text in OPENERS:
            atom = self.group(t)
        elif t.text == r"\left":
            delim = self.next() if not self.at_end() else t
            inner = self.seq({r"\right"})
            end = inner.end
            if not self.at_end() and self.toks[self.i].text == r"\right":
                self.next()
                end = self.next().end if not self.at_end() else end
            atom = Atom("group", t.start, end, (t.start, end), children=[inner],
                        opener=r"\left" + delim.text)
        elif t.text in (r"\frac", r"\dfrac", r"\tfrac"):
            args = []
            end = t.end
            for _ in range(2):
                got = self.braced()
                if got is None:
                    break
                args.append(got[0])
                end = got[2]
            atom = Atom("frac", t.start, end, (t.start, end), children=args)
        elif t.text in TEXT_COMMANDS:
            got = self.braced()
            end = got[2] if got else t.end
            atom = Atom("text", t.start, end, (t.start, end))
        elif t.text in BIG_OPERATORS:
            atom = Atom("big", t.start, t.end, (t.start, t.end))
        elif t.text in PREFIXES:
            atom = Atom("prefix", t.start, t.end, (t.start, t.end))
        elif t.text in FUNCTIONS:
            atom = Atom("func", t.start, t.end, (t.start, t.end))
        elif t.kind == "cmd":
            atom = Atom("symbol", t.start, t.end, (t.start, t.end))
        elif t.kind in ("letter", "num"):
            atom = Atom(t.kind, t.start, t.end, (t.start, t.end))
        else:
            atom = Atom("other", t.start, t.end, (t.start, t.end))
        # scripts and primes
        while not self.at_end():
            nxt = self.toks[self.i]
            if nxt.text in ("_", "^"):
                sc = self.script()
                if nxt.text == "_":
                    atom.sub = sc
                else:
                    atom.sup = sc
                atom.end = sc.end
            elif nxt.text == "'":
                self.i += 1
                atom.end = nxt.end
                atom.base = (atom.base[0], nxt.end) if not (atom.sub or atom.sup) else atom.base
            else:
                break
        if atom.kind == "func":
            # \sigma(z), \log(x), \log a_i, \log{(1-a)}: the function and its argument
            self.skip_ws()
            nxt = self.peek()
            if nxt is not None and nxt.text in ("(", "{") or (
                nxt is not None and nxt.text == r"\left"
            ):
                arg = self.atom()
                atom.children.append(arg.children[0] if arg.children else Seq(0, 0, []))
                atom.end = arg.end
                atom.kind = "call"
            elif nxt is not None and nxt.kind in ("letter", "num") or (
                nxt is not None and nxt.text in (r"\frac",)
            ):
                arg = self.atom()
                atom.children.append(Seq(arg.start, arg.end, [arg]))
                atom.end = arg.end
                atom.kind = "call"
            else:
                atom.kind = "prefix"  # \log \sum ...: applies to the rest of the term
        return atom


def read_latex(text: str) -> Seq:
    reader = _Reader(text)
    top = reader.seq(set())
    return top


def walk(seq: Seq, in_script: bool = False) -> Iterator[tuple[Seq, bool]]:
    """Every sequence (level) in the tree, with whether it sits in a script."""
    yield seq, in_script
    for part in seq.parts:
        if isinstance(part, Op):
            continue
        for child in part.children:
            yield from walk(child, in_script)
        for sc in (part.sub, part.sup):
            if sc is not None and sc.seq is not None:
                yield from walk(sc.seq, True)


def atoms(seq: Seq, in_script: bool = False) -> Iterator[tuple[Atom, bool]]:
    for level, scripted in walk(seq, in_script):
        for part in level.parts:
            if isinstance(part, Atom):
                yield part, scripted


def terms(seq: Seq) -> list[list[Atom | Op]]:
    """The level's parts split at + - = & (terms of a sum)."""
    out: list[list[Atom | Op]] = [[]]
    for part in seq.parts:
        if isinstance(part, Op) and part.text in ("+", "-", "=", "&", ","):
            out.append([])
        else:
            out[-1].append(part)
    return [t for t in out if t]


# --------------------------------------------------------------------------
# Mutation operators: each yields (description, new text)
# --------------------------------------------------------------------------


def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def op_sign_flip(text: str, tree: Seq) -> Iterator[tuple[str, str]]:
    for level, scripted in walk(tree):
        if scripted and any(isinstance(p, Op) and p.text == "=" for p in level.parts):
            continue  # \sum_{i=1}: a binding, not arithmetic
        previous: Atom | Op | None = None
        for part in level.parts:
            if isinstance(part, Op) and part.text in ("+", "-"):
                unary = previous is None or (isinstance(previous, Op) and previous.text in
                                             ("=", "&", ",", "+", "-"))
                if unary and part.text == "-":
                    yield "drop leading -", _splice(text, part.start, part.end, "")
                elif not unary:
                    other = "-" if part.text == "+" else "+"
                    yield f"{part.text} -> {other}", _splice(text, part.start, part.end, other)
            previous = part


def _factors(term: list[Atom | Op]) -> list[Atom]:
    return [p for p in term if isinstance(p, Atom)]


def op_dropped_factor(text: str, tree: Seq) -> Iterator[tuple[str, str]]:
    for level, scripted in walk(tree):
        if scripted:
            continue
        for term in terms(level):
            if any(isinstance(p, Op) and p.text == "/" for p in term):
                continue
            factors = _factors(term)
            droppable = [a for a in factors if a.droppable]
            if len(droppable) < 2:
                continue
            for k, atom in enumerate(factors):
                if not atom.droppable:
                    continue
                # nothing may be left dangling after a prefix (\sum, \partial, \log)
                # the atom right after \sum, \partial or a bare \log is their argument:
                # dropping it would hand them the next factor instead
                if k > 0 and not factors[k - 1].droppable:
                    continue
                start, end = atom.start, atom.end
                # take a product sign along: the one before, else the one after
                idx = term.index(atom)
                if idx > 0 and isinstance(term[idx - 1], Op) and term[idx - 1].text in TIMES:
                    start = term[idx - 1].start
                elif idx + 1 < len(term) and isinstance(term[idx + 1], Op):
                    end = term[idx + 1].end
                new = _splice(text, start, end, " " if _needs_space(text, start, end) else "")
                yield f"drop {text[atom.start:atom.end]!r}", new


def _needs_space(text: str, start: int, end: int) -> bool:
    left = text[start - 1] if start > 0 else " "
    right = text[end] if end < len(text) else " "
    return (left.isalpha() or left == "\\" or text[:start].rstrip().endswith(
        tuple(FUNCTIONS | PREFIXES))) and right.isalpha()


def op_exponent(text: str, tree: Seq) -> Iterator[tuple[str, str]]:
    for atom, _ in atoms(tree):
        sc = atom.sup
        if sc is None or atom.kind == "big" or sc.seq is None:
            continue
        a, b = sc.content
        content = text[a:b]
        if re.fullmatch(r"\d+", content.strip()):
            n = int(content)
            for m in (n + 1, n - 1):
                if sc.braced:
                    yield f"^{{{content}}} -> ^{{{m}}}", _splice(text, a, b, str(m))
                else:
                    new = str(m) if 0 <= m <= 9 else f"{{{m}}}"
                    yield f"^{content} -> ^{new}", _splice(text, sc.start + 1, sc.end, new)
        elif sc.braced:
            yield f"^{{{content}}} -> ^{{{content}+1}}", _splice(text, b, b, "+1")


def op_missing_square(text: str, tree: Seq) -> Iterator[tuple[str, str]]:
    for atom, _ in atoms(tree):
        sc = atom.sup
        if sc is None or atom.kind == "big":
            continue
        a, b = sc.content
        if text[a:b].strip() == "2":
            yield f"drop ^{text[a:b]} of {text[atom.start:sc.start]!r}", _splice(
                text, sc.start, sc.end, "")


def _letters(text: str, tree: Seq) -> list[Atom]:
    """Letter atoms used as symbols (not in scripts, not Euler's e)."""
    return [a for a, scripted in atoms(tree) if a.kind == "letter" and not scripted
            and text[a.base[0]] != "e"]


def op_swapped_symbols(text: str, tree: Seq, others: list[str]) -> Iterator[tuple[str, str]]:
    letters = _letters(text, tree)
    present = sorted({text[a.base[0]] for a in letters})
    pairs: list[tuple[str, str]] = []
    if len(present) >= 2:
        pairs = [(x, y) for i, x in enumerate(present) for y in present[i + 1:]]
    elif present:
        pairs = [(present[0], y) for y in others if y != present[0]][:2]
    for x, y in pairs:
        new = list(text)
        for atom in letters:
            c = text[atom.base[0]]
            if c == x:
                new[atom.base[0]] = y
            elif c == y:
                new[atom.base[0]] = x
        yield f"{x} <-> {y}", "".join(new)


def op_sum_bound(text: str, tree: Seq) -> Iterator[tuple[str, str]]:
    for atom, _ in atoms(tree):
        if atom.kind != "big":
            continue
        sub, sup = atom.sub, atom.sup
        if sub is not None:
            a, b = sub.content
            low = text[a:b]
            m = re.fullmatch(r"\s*([A-Za-z])\s*=\s*(\d+)\s*", low)
            if m:
                new = f"{m.group(1)}={int(m.group(2)) + 1}"
                yield f"lower {low} -> {new}", _splice(text, a, b, new)
            elif re.fullmatch(r"\s*[A-Za-z]\s*", low):
                new = f"{{{low.strip()}=2}}"
                yield f"lower {low.strip()} -> {low.strip()}=2", _splice(text, sub.start + 1,
                                                                         sub.end, new)
        if sup is not None:
            a, b = sup.content
            up = text[a:b].strip()
            if re.fullmatch(r"\d+", up):
                new = str(int(up) - 1)
            elif up:
                new = f"{up}-1"
            else:
                continue
            yield f"upper {up} -> {new}", _splice(text, sup.start + 1, sup.end, f"{{{new}}}")


def op_wrong_index(text: str, tree: Seq, indices: list[str]) -> Iterator[tuple[str, str]]:
    for atom, _ in atoms(tree):
        if atom.kind == "big" or atom.sub is None:
            continue
        a, b = atom.sub.content
        for t in tokenize(text[a:b]):
            if t.kind != "letter":
                continue
            alternatives = [x for x in indices if x != t.text]
            if not alternatives:
                continue
            new = alternatives[0]
            label = f"{text[atom.start:atom.sub.end]} -> index {new}"
            yield label, _splice(text, a + t.start, a + t.end, new)


def op_log_exp(text: str, tree: Seq) -> Iterator[tuple[str, str]]:
    for atom, _ in atoms(tree):
        base = text[atom.base[0]:atom.base[1]]
        if atom.kind in ("call", "prefix", "func") and base in (r"\log", r"\ln"):
            yield f"{base} -> \\exp", _splice(text, atom.base[0], atom.base[1], r"\exp")
        elif atom.kind in ("call", "prefix", "func") and base == r"\exp":
            yield r"\exp -> \log", _splice(text, atom.base[0], atom.base[1], r"\log")
        elif atom.kind == "letter" and base == "e" and atom.sup is not None and atom.sub is None:
            a, b = atom.sup.content
            yield f"e^{{{text[a:b]}}} -> \\log({text[a:b]})", _splice(
                text, atom.start, atom.end, rf"\log({text[a:b]})")


def op_product_sum(text: str, tree: Seq) -> Iterator[tuple[str, str]]:
    for level, scripted in walk(tree):
        if scripted:
            continue
        for term in terms(level):
            if any(isinstance(p, Op) and p.text == "/" for p in term):
                continue
            for k in range(len(term) - 1):
                left = term[k]
                if not isinstance(left, Atom) or not left.droppable:
                    continue
                j = k + 1
                if isinstance(term[j], Op):
                    if term[j].text not in TIMES:
                        continue
                    j += 1
                if j >= len(term) or not isinstance(term[j], Atom):
                    continue
                right = term[j]
                if right.kind in ("other",):
                    continue
                new = _splice(text, left.end, right.start, " + ")
                yield (f"{text[left.start:left.end]!r} * {text[right.start:right.end]!r} "
                       f"-> +"), new


# --------------------------------------------------------------------------
# Mutants
# --------------------------------------------------------------------------


@dataclass
class Target:
    """One expression of a verified chain: the right-hand side of a step."""

    path: str
    chain_index: int  # in the parsed document
    position: int  # item position in the chain
    line: int  # 1-based
    span: tuple[int, int]  # columns (0-based, end exclusive) in the line
    latex: str  # the span's text
    last: bool  # last item of its chain
    equations: bool
    chain_id: str


@dataclass
class Mutant:
    id: str
    target: Target
    operator: str
    description: str
    before: str
    after: str
    text: str = ""  # the mutated document
    # results
    status: str = ""  # refuted survived unparsed equivalent
    culprit_right: bool = False
    into: str = ""
    out: str = ""
    equivalence: str = ""
    message: str = ""

    def row(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("text")
        d["target"] = {"path": self.target.path, "line": self.target.line,
                       "position": self.target.position, "last": self.target.last,
                       "chain": self.target.chain_id}
        return d


def _item_span(line_text: str, column: int, latex: str, equations: bool) -> tuple[int, int] | None:
    start = column - 1
    if line_text[start:start + len(latex)] == latex:
        return start, start + len(latex)
    if equations:  # `&` is masked in the item's text: take the row as written
        end = line_text.rfind(r"\\")
        end = len(line_text) if end < start else end
        span = line_text[start:end].rstrip()
        if span.replace("&", " ").split() == latex.split():
            return start, start + len(span)
    return None


def verified_targets(documents: list[Document], baseline: RunResult) -> list[Target]:
    targets: list[Target] = []
    for doc, result in zip(documents, baseline.files, strict=True):
        lines = doc.text.split("\n")
        for index, (raw, chain) in enumerate(zip(doc.chains, result.chains, strict=True)):
            if chain.pinned or not chain.steps:
                continue
            if not all(s.verdict in GOOD_VERDICTS for s in chain.steps):
                continue
            first = 1 if defined_head(raw) is not None else 0
            for position in range(first + 1, len(raw.items)):
                item = raw.items[position]
                span = _item_span(lines[item.line - 1], item.column, item.latex,
                                  raw.kind == "equations")
                if span is None:
                    print(f"skipped {doc.path}:{item.line}: cannot place {item.latex!r}",
                          file=sys.stderr)
                    continue
                targets.append(Target(
                    doc.path, index, position, item.line, span,
                    lines[item.line - 1][span[0]:span[1]], position == len(raw.items) - 1,
                    raw.kind == "equations", chain.id,
                ))
    return targets


def _symbol_letters(documents: list[Document]) -> list[str]:
    """Letters used as symbols, the most frequent first."""
    letters: Counter[str] = Counter()
    for doc in documents:
        for raw in doc.chains:
            for item in raw.items:
                for atom in _letters(item.latex, read_latex(item.latex)):
                    letters[item.latex[atom.base[0]]] += 1
    return [x for x, _ in letters.most_common()]


def _subscript_letters(raws: list[RawChain]) -> list[str]:
    found: list[str] = []
    for raw in raws:
        for item in raw.items:
            for atom, _ in atoms(read_latex(item.latex)):
                if atom.sub is not None and atom.kind != "big":
                    a, b = atom.sub.content
                    found += [t.text for t in tokenize(item.latex[a:b]) if t.kind == "letter"]
    return found


def _index_letters(doc: Document, chain_index: int) -> list[str]:
    """Index letters to substitute: those of the chain first, then the document's."""
    declared = (doc.front_matter.get("derive") or {}).get("indices") or {}
    found = _subscript_letters([doc.chains[chain_index]]) + list(declared)
    found += _subscript_letters(doc.chains)
    out = list(dict.fromkeys(found))
    for spare in ("j", "k"):
        if spare not in out:
            out.append(spare)
    return out


def mutants_for(target: Target, doc: Document, letters: list[str], cap: int,
                seed: int) -> list[Mutant]:
    text = target.latex
    tree = read_latex(text)
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    generators = {
        "sign-flip": op_sign_flip(text, tree),
        "dropped-factor": op_dropped_factor(text, tree),
        "exponent": op_exponent(text, tree),
        "swapped-symbols": op_swapped_symbols(text, tree, letters),
        "sum-bound": op_sum_bound(text, tree),
        "wrong-index": op_wrong_index(text, tree, _index_letters(doc, target.chain_index)),
        "missing-square": op_missing_square(text, tree),
        "log-exp": op_log_exp(text, tree),
        "product-sum": op_product_sum(text, tree),
    }
    seen = {text}
    for name in OPERATORS:
        for description, new in generators[name]:
            if new in seen or not _balanced(new):
                continue
            seen.add(new)
            found[name].append((description, new))
    # cap: round robin over the operators, each operator's list shuffled (seeded)
    rng = random.Random(f"{seed}:{target.path}:{target.line}:{target.position}")
    queues = {name: rng.sample(found[name], len(found[name])) for name in OPERATORS}
    picked: list[tuple[str, str, str]] = []
    while len(picked) < cap and any(queues.values()):
        for name in OPERATORS:
            if queues[name] and len(picked) < cap:
                description, new = queues[name].pop(0)
                picked.append((name, description, new))
    picked.sort(key=lambda p: (OPERATORS.index(p[0]), p[2]))
    lines = doc.text.split("\n")
    out = []
    for n, (name, description, new) in enumerate(picked):
        row = lines[target.line - 1]
        a, b = target.span
        mutated = lines[:]
        mutated[target.line - 1] = row[:a] + new + row[b:]
        mid = f"{Path(target.path).stem}:{target.line}.{target.position}:{n}"
        out.append(Mutant(mid, target, name, description, text, new, "\n".join(mutated)))
    return out


def _balanced(text: str) -> bool:
    depth = 0
    for t in tokenize(text):
        depth += {"{": 1, "}": -1}.get(t.text, 0)
        if depth < 0:
            return False
    return depth == 0


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


def _window(raw: RawChain, keep: list[int], extra: SourceItem | None = None) -> RawChain:
    """The chain cut down to the items at `keep` (and `extra` appended, joined by `=`)."""
    items = [raw.items[k] for k in keep]
    relations = [raw.relations[a] if b == a + 1 else raw.relations[0]
                 for a, b in zip(keep, keep[1:], strict=False)]
    if extra is not None:
        items.append(extra)
        relations.append("implies" if raw.kind == "equations" else "=")
    return dataclasses.replace(raw, items=items, relations=relations)


def _check_window(raw: RawChain, k: int) -> list[int]:
    """Items that the steps into and out of item k need: k-1, k, k+1, and the
    defined head (item 0) when the chain defines a name."""
    keep = {k - 1, k} | ({k + 1} if k + 1 < len(raw.items) else set())
    if defined_head(raw) is not None:
        keep.add(0)
    return sorted(keep)


def _equivalence_window(raw: RawChain, k: int) -> list[int]:
    """Items before the `original = mutant` step: item k, and whatever keeps
    item k from being read as a definition head."""
    if defined_head(raw) is not None:
        return [0, k]
    if raw.kind == "expressions" and definition_head(raw.items[k].latex) is not None:
        return [k - 1, k]
    return [k]


def _context_of(doc: Document, index: int, full: bool) -> list[RawChain]:
    """The chains that must come with chain `index`: the definitions made before it."""
    if full:
        return doc.chains[:index]
    return [c for c in doc.chains[:index] if defined_head(c) is not None]


def _find_chain(doc: Document, line: int, first_latex: str) -> int | None:
    for n, raw in enumerate(doc.chains):
        if raw.line == line and raw.items and raw.items[0].latex == first_latex:
            return n
    return None


def _describe(step: StepResult | None) -> str:
    if step is None:
        return "-"
    extra = " culprit" if step.culprit else ""
    return f"{step.verdict}{extra} ({step.method or step.relation})"


def run_mutants(mutants: list[Mutant], originals: dict[str, Document], options: Options,
                full: bool = False, equivalence: str = "all") -> None:
    """Fill in each mutant's status: one check_documents call for the mutants,
    one for the `original = mutant` documents.

    Each mutated document keeps its whole text (so every line number is the
    original one); what is checked in it is the mutated chain, cut down to the
    steps into and out of the mutated line (the other steps do not change), and
    the definitions made before it.  ``full`` checks every chain, whole."""
    planned: list[tuple[Mutant, Document, RawChain, int]] = []
    mutated_items: dict[str, SourceItem] = {}
    for m in mutants:
        original = originals[m.target.path]
        raw = original.chains[m.target.chain_index]
        doc = parse_document(m.text, path=m.target.path)
        index = _find_chain(doc, raw.line, raw.items[0].latex)
        if index is None or len(doc.chains[index].items) != len(raw.items):
            m.status, m.message = "unparsed", "the chain no longer splits as before"
            continue
        mine = doc.chains[index]
        mutated_items[m.id] = mine.items[m.target.position]
        if full:
            chains = doc.chains
            checked, k = mine, m.target.position
        else:
            keep = _check_window(mine, m.target.position)
            checked, k = _window(mine, keep), keep.index(m.target.position)
            chains = _context_of(doc, index, full) + [checked]
        planned.append((m, dataclasses.replace(doc, chains=chains), checked, k))
    started = time.monotonic()
    run = check_documents([p[1] for p in planned], options) if planned else None
    PHASES["mutants"] = time.monotonic() - started
    for (m, doc, raw, k), file_result in zip(planned, run.files if run else [], strict=True):
        chain = file_result.chains[doc.chains.index(raw)]
        mine = raw.items[k].latex
        previous = raw.items[k - 1].latex
        following = raw.items[k + 1].latex if k + 1 < len(raw.items) else None
        into = next((s for s in chain.steps if s.rhs == mine and s.line == raw.items[k].line
                     and (s.lhs == previous or s.verdict == "unparsed")), None)
        out = next((s for s in chain.steps if s.lhs == mine and s.rhs == following), None)
        m.into, m.out = _describe(into), _describe(out)
        if any(s.verdict == "unparsed" and s.rhs == mine for s in chain.steps):
            m.status = "unparsed"
            m.message = into.message if into else ""
            continue
        refuted = [s for s in (into, out) if s is not None and s.verdict == "refuted"]
        if refuted:
            m.status = "refuted"
            if following is None:
                m.culprit_right = into is not None and into.verdict == "refuted"
            else:
                m.culprit_right = into is not None and into.verdict == "refuted" and into.culprit
        else:
            m.status = "survived"
        m.message = (into.message if into else "") or (out.message if out else "")

    # equivalence: is the mutant provably equal to the original expression?
    check = [m for m in mutants if m.status in ("refuted", "survived")]
    if equivalence == "survivors":
        check = [m for m in check if m.status == "survived"]
    elif equivalence == "none":
        check = []
    eq_planned: list[tuple[Mutant, Document, RawChain]] = []
    for m in check:
        original = originals[m.target.path]
        raw = original.chains[m.target.chain_index]
        window = _window(raw, _equivalence_window(raw, m.target.position), mutated_items[m.id])
        chains = _context_of(original, m.target.chain_index, full) + [window]
        eq_planned.append((m, dataclasses.replace(original, chains=chains), window))
    started = time.monotonic()
    eq_run = check_documents([p[1] for p in eq_planned], options) if eq_planned else None
    PHASES["equivalence"] = time.monotonic() - started
    for (m, _, raw), file_result in zip(eq_planned, eq_run.files if eq_run else [],
                                        strict=True):
        chain = file_result.chains[-1]
        before, after = raw.items[-2].latex, raw.items[-1].latex
        step = next((s for s in chain.steps if s.lhs == before and s.rhs == after), None)
        if step is None:
            m.equivalence = "no step"
            continue
        m.equivalence = _describe(step) + (f" [{step.relation}]" if m.target.equations else "")
        equal = step.verdict in GOOD_VERDICTS and (
            not m.target.equations or step.relation == "equivalent")
        if equal:
            if m.status == "refuted":
                m.message = "REFUTED BUT PROVED EQUAL TO THE ORIGINAL: " + m.message
                m.status = "refuted-equal"
            else:
                m.status = "equivalent"


@dataclass
class Report:
    total: int
    equivalent: int
    unparsed: int
    scored: int
    refuted: int
    culprit_right: int
    refuted_equal: int
    per_operator: dict[str, dict[str, int]]
    survivors: list[Mutant]
    refuted_equal_list: list[Mutant]
    wrong_culprit: list[Mutant]
    baseline_refutations: list[str]
    seconds: float

    @property
    def refuted_share(self) -> float:
        return self.refuted / self.scored if self.scored else 1.0

    @property
    def culprit_share(self) -> float:
        return self.culprit_right / self.refuted if self.refuted else 1.0


def summarise_mutants(mutants: list[Mutant], baseline_refutations: list[str],
                      seconds: float) -> Report:
    per: dict[str, dict[str, int]] = {
        name: Counter() for name in OPERATORS}  # type: ignore[misc]
    for m in mutants:
        c = per[m.operator]
        c["total"] += 1
        c[m.status] += 1
        if m.status == "refuted" and m.culprit_right:
            c["culprit"] += 1
    scored = [m for m in mutants if m.status in ("refuted", "survived", "refuted-equal")]
    refuted = [m for m in scored if m.status in ("refuted", "refuted-equal")]
    return Report(
        total=len(mutants),
        equivalent=sum(m.status == "equivalent" for m in mutants),
        unparsed=sum(m.status == "unparsed" for m in mutants),
        scored=len(scored),
        refuted=len(refuted),
        culprit_right=sum(m.culprit_right for m in refuted),
        refuted_equal=sum(m.status == "refuted-equal" for m in mutants),
        per_operator={k: dict(v) for k, v in per.items()},
        survivors=[m for m in mutants if m.status == "survived"],
        refuted_equal_list=[m for m in mutants if m.status == "refuted-equal"],
        wrong_culprit=[m for m in refuted if not m.culprit_right],
        baseline_refutations=baseline_refutations,
        seconds=seconds,
    )


def baseline_refutations(run: RunResult) -> list[str]:
    """Steps that fail outside what the documents pin: must be none."""
    bad = []
    for f in run.files:
        for c in f.chains:
            for s in c.steps:
                if not s.meets_expectation or (not c.pinned and s.verdict in ("refuted",
                                                                              "unparsed")):
                    bad.append(f"{c.id} line {s.line}: {s.verdict} (expected {s.expected})")
        for p in f.problems:
            bad.append(f"{p.where()}: {p.message}")
    return bad


def prepare(paths: list[str], options: Options, cap: int = DEFAULT_CAP, seed: int = 0,
            ) -> tuple[dict[str, Document], RunResult, list[Mutant]]:
    files = collect_documents(paths)
    documents = [read_document(p) for p in files]
    started = time.monotonic()
    baseline = check_documents(documents, options)
    PHASES["baseline"] = time.monotonic() - started
    originals = {d.path: d for d in documents}
    letters = _symbol_letters(documents)
    mutants: list[Mutant] = []
    for target in verified_targets(documents, baseline):
        doc = originals[target.path]
        mine = _symbol_letters([doc])
        mutants += mutants_for(target, doc, mine + [x for x in letters if x not in mine], cap,
                               seed)
    return originals, baseline, mutants


def sample(mutants: list[Mutant], n: int | None, seed: int) -> list[Mutant]:
    if n is None or n >= len(mutants):
        return mutants
    picked = random.Random(seed).sample(range(len(mutants)), n)
    return [mutants[i] for i in sorted(picked)]


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "n/a"


def render(report: Report, floors: tuple[float, float]) -> str:
    r = report
    lines = [
        f"mutants: {r.total}   equivalent (excluded): {r.equivalent}   "
        f"unparsed (excluded): {r.unparsed}   scored: {r.scored}",
        f"refuted: {r.refuted}/{r.scored} = {_pct(r.refuted, r.scored)} "
        f"(floor {floors[0]:.0%})   culprit right: {r.culprit_right}/{r.refuted} = "
        f"{_pct(r.culprit_right, r.refuted)} (floor {floors[1]:.0%})",
        f"refuted although proved equal to the original: {r.refuted_equal}",
        f"unmutated chains: {len(r.baseline_refutations)} refutations beyond the pinned ones",
        f"time: {r.seconds:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in PHASES.items()) + ")",
        "",
        "| operator | mutants | equivalent | unparsed | refuted | survived | culprit right |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in OPERATORS:
        c = r.per_operator.get(name, {})
        refuted = c.get("refuted", 0) + c.get("refuted-equal", 0)
        scored = refuted + c.get("survived", 0)
        culprit = c.get("culprit", 0)
        lines.append(
            f"| {name} | {c.get('total', 0)} | {c.get('equivalent', 0)} | "
            f"{c.get('unparsed', 0)} | {refuted} ({_pct(refuted, scored)}) | "
            f"{c.get('survived', 0)} | {culprit} ({_pct(culprit, refuted)}) |"
        )
    if r.survivors:
        lines += ["", "Survivors (not refuted, not proved equal):", ""]
        for m in r.survivors:
            lines += [
                f"- {m.id} [{m.operator}] {m.target.path}:{m.target.line} "
                f"({'last' if m.target.last else 'middle'} line) {m.description}",
                f"    before: {m.before}",
                f"    after:  {m.after}",
                f"    step into: {m.into}   step out: {m.out}   original = mutant: "
                f"{m.equivalence or '-'}",
            ]
    if r.wrong_culprit:
        lines += ["", "Refuted, culprit not on the mutated line:", ""]
        for m in r.wrong_culprit:
            lines += [
                f"- {m.id} [{m.operator}] {m.target.path}:{m.target.line} {m.description}",
                f"    before: {m.before}",
                f"    after:  {m.after}",
                f"    step into: {m.into}   step out: {m.out}",
            ]
    if r.refuted_equal:
        lines += ["", "Refuted although proved equal to the original (unsound?):", ""]
        for m in r.refuted_equal_list:
            lines += [f"- {m.id} [{m.operator}] {m.before}  ->  {m.after}: {m.message}"]
    if r.baseline_refutations:
        lines += ["", "Unexpected failures on the unmutated documents:", ""]
        lines += [f"- {b}" for b in r.baseline_refutations]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "derivations")])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--sample", type=int, default=None, help="check a fixed random sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cap", type=int, default=DEFAULT_CAP, help="mutants per step")
    parser.add_argument("--equivalence", choices=("all", "survivors", "none"), default="all")
    parser.add_argument("--full-documents", action="store_true",
                        help="check every chain of a mutated document, not only the mutated one")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--json", help="write every mutant's result to this file")
    parser.add_argument("--floor-refuted", type=float, default=0.95)
    parser.add_argument("--floor-culprit", type=float, default=0.90)
    args = parser.parse_args(argv)

    started = time.monotonic()
    options = Options(jobs=args.jobs, timeout=args.timeout)
    paths = [str(Path(p).relative_to(ROOT)) if Path(p).is_absolute() and Path(p).is_relative_to(
        ROOT) else p for p in args.paths]
    originals, baseline, mutants = prepare(paths, options, args.cap, args.seed)
    mutants = sample(mutants, args.sample, args.seed)
    if args.list:
        for m in mutants:
            print(f"{m.id:28} {m.operator:16} {m.before}  ->  {m.after}")
        print(f"{len(mutants)} mutants")
        return 0
    run_mutants(mutants, originals, options, full=args.full_documents,
                equivalence=args.equivalence)
    report = summarise_mutants(mutants, baseline_refutations(baseline),
                               time.monotonic() - started)
    print(f"# derive mutation run  {time.strftime('%Y-%m-%d %H:%M')}  "
          f"{platform.machine()} {platform.python_version()}  jobs={args.jobs}  "
          f"sample={args.sample or 'all'} seed={args.seed} cap={args.cap}")
    print(render(report, (args.floor_refuted, args.floor_culprit)))
    if args.json:
        Path(args.json).write_text(json.dumps([m.row() for m in mutants], indent=1))
    ok = (report.refuted_share >= args.floor_refuted
          and report.culprit_share >= args.floor_culprit
          and not report.baseline_refutations and not report.refuted_equal)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Stage 3: informal LaTeX → SymPy, read the way the author meant it.

A small grammar owned by the project (tokeniser + recursive descent) that
builds SymPy objects directly.  Why not SymPy's own `parse_latex` behind a
normaliser: see NOTES.md ("parser choice") — in short, every informal form in
the seed note (missing sum bounds, sum-body scope, ∂-fractions with braces,
primes, indexed names, letter runs) needed a rewrite *before* the antlr
parser and a repair *after* it, and its recursion limit fails at ~80 nested
brackets.  Here each rule lives in one place and depth is capped explicitly.

Nothing here evaluates document text as Python: the only things built are
SymPy objects from tokens, and numbers are read digit by digit.

Reading rules that are conventions, not LaTeX (documented in README):
  * `\\log` and `\\ln` are natural logs (unless the context says `log: 10`).
  * `e` is Euler's number unless declared as a symbol; `\\pi` is π.
  * A run of letters (`wx`, `ylnp`) is split into declared names and
    function words (ln, log, exp, sin, …, sigmoid) first; leftover single
    letters multiply.  A run of three or more letters with an undeclared
    single letter left over is not guessed: it is an error.
  * `a(1-a)` is a product unless `a` is a function (declared, defined, or only ever
    applied in the document: derive/read/usage.py).
  * A subscript made of one or two letters/digits is an index: `y_{ij}` is
    y[i, j]; a longer word (`x_{max}`) is part of the symbol's name.
  * A sum's body is the rest of the product it stands in; braces right after
    the sum delimit the body unless the index is used later in the product.
  * `\\delta_{ij}` is the Kronecker delta unless δ is declared.
  * `\\sum_i^n` runs i = 1..n; `\\sum_q` runs over q's declared range;
    `\\sum_{q \\neq j}` is the full sum minus the q = j term.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import sympy as sp

from derive.summation import rename_limits

MAX_LENGTH = 4000  # characters per expression
MAX_DEPTH = 60  # nesting of brackets and braces
# Each bracket level costs the recursive descent a few rule levels (expression,
# term, power); this bound keeps far below Python's recursion limit.
MAX_RULE_DEPTH = 5 * MAX_DEPTH
MAX_EXPONENT_DIGITS = 4000  # exact integer results larger than this are refused


class LatexError(ValueError):
    """An expression that could not be read; carries the place and fragment."""

    def __init__(self, message: str, column: int = 0, fragment: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column  # 1-based within the expression, 0 when unknown
        self.fragment = fragment

    def __str__(self) -> str:
        where = f" (column {self.column})" if self.column else ""
        frag = f": {self.fragment!r}" if self.fragment else ""
        return f"{self.message}{where}{frag}"


# --------------------------------------------------------------------------
# What the parser knows about names: built from the context of a chain.
# --------------------------------------------------------------------------

GREEK = frozenset(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa
    lambda mu nu xi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
    Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega""".split()
)

# Function words recognised with or without a backslash.
FUNCTION_WORDS: dict[str, object] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "cot": sp.cot, "sec": sp.sec,
    "csc": sp.csc, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan,
    "exp": sp.exp, "ln": sp.log, "log": sp.log,
    "sigmoid": None,  # the logistic function, built below
}
# Words that only exist with a backslash (or \operatorname).
COMMAND_FUNCTIONS = frozenset(FUNCTION_WORDS) | {"max", "min"}

SPACING = frozenset(
    ", ; : ! quad qquad displaystyle textstyle scriptstyle left right big Big bigg Bigg "
    "bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle limits nolimits".split()
)
RELATIONS = {"=": sp.Eq, "<": sp.Lt, ">": sp.Gt, "leq": sp.Le, "le": sp.Le, "geq": sp.Ge,
             "ge": sp.Ge, "neq": sp.Ne, "ne": sp.Ne}
TEXT_COMMANDS = frozenset("text textrm textit textbf textsf texttt mbox hbox".split())
DECORATIONS = {"hat": "hat", "bar": "bar", "tilde": "tilde", "overline": "bar"}
UNSUPPORTED = {
    "text": "text inside math cannot be read",
    "mathbf": "vectors (\\mathbf) are not supported; write the components",
    "boldsymbol": "vectors (\\boldsymbol) are not supported; write the components",
    "vec": "vectors (\\vec) are not supported; write the components",
    "mathbb": "\\mathbb (sets, expectations) is not supported",
    "cdots": "an ellipsis (…) cannot be read; write the sum with \\sum",
    "ldots": "an ellipsis (…) cannot be read; write the sum with \\sum",
    "dots": "an ellipsis (…) cannot be read; write the sum with \\sum",
    "pm": "± cannot be read; write the two cases separately",
    "mp": "∓ cannot be read; write the two cases separately",
    "int": "integrals are not supported yet",
    "lim": "limits are not supported yet",
    "nabla": "∇ is not supported; write the partial derivatives",
}


_INDEX_SUBSCRIPT = re.compile(r"^[a-z0-9](?:\s*,?\s*[a-z0-9])?$")


def label_function_name(base: str, subscript: str) -> str | None:
    """`p_X(x)`: the function's name when its subscript is a label, not an index.

    An index is one or two lowercase letters or digits (`g_j(x)` is g at index j,
    `m_{12}`); a capital, a word or a Greek letter (`p_X`, `e_\\xi`, `f_{\\theta}`)
    labels the function, and the name is written `p_{X}`."""
    text = subscript.strip()
    if not text or _INDEX_SUBSCRIPT.match(text):
        return None
    return f"{base}_{{{' '.join(text.split())}}}"


def logistic(t: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-t))


@dataclass
class Notation:
    """The names in force for one chain and what they are.

    symbols:   declared plain symbols → SymPy assumptions (e.g. {"positive": True})
    functions: declared function names (LaTeX name without backslash: "sigma", "p")
    indices:   index name → upper bound of its range (lower bound 1)
    sizes:     size names (m, n): positive integers
    names:     other declared names (definitions), so letter runs can use them
    log_base:  what \\log means
    """

    symbols: dict[str, dict[str, bool]] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    indices: dict[str, sp.Expr] = field(default_factory=dict)
    sizes: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    log_base: str = "natural"

    @cached_property
    def declared(self) -> frozenset[str]:
        declared = frozenset(self.symbols) | self.functions | set(self.indices)
        return declared | self.sizes | self.names

    @cached_property
    def _cache(self) -> dict[tuple[str, str], object]:
        return {}

    def symbol(self, name: str) -> sp.Symbol:
        key = ("s", name)
        if key not in self._cache:
            if name in self.indices or name in self.sizes:
                assumptions = {"integer": True, "positive": True}
            else:
                assumptions = dict(self.symbols.get(name, {"real": True}))
            self._cache[key] = sp.Symbol(name, **assumptions)
        return self._cache[key]  # type: ignore[return-value]

    def indexed_base(self, name: str) -> sp.IndexedBase:
        key = ("i", name)
        if key not in self._cache:
            assumptions = dict(self.symbols.get(name, {"real": True}))
            self._cache[key] = sp.IndexedBase(name, **assumptions)
        return self._cache[key]  # type: ignore[return-value]

    def function(self, name: str) -> sp.FunctionClass:
        key = ("f", name)
        if key not in self._cache:
            self._cache[key] = sp.Function(name)
        return self._cache[key]  # type: ignore[return-value]

    def index_upper(self, index: str) -> sp.Expr | None:
        return self.indices.get(index)


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------


@dataclass
class Token:
    kind: str  # cmd, letter, name, number, open, close, op, sub, end
    text: str
    col: int  # 1-based column of the token's first character
    space_before: bool = False
    roman: bool = False  # came from \mathrm / \operatorname


OPENERS = {"(": ")", "[": "]", "{": "}"}
DIGITS = frozenset("0123456789")  # not str.isdigit: '²' is a digit to Python, not to TeX


def tokenize(source: str, notation: Notation) -> list[Token]:
    if len(source) > MAX_LENGTH:
        raise LatexError(f"expression longer than {MAX_LENGTH} characters", 1, source[:40] + "…")
    tokens: list[Token] = []
    opened: list[tuple[str, int]] = []  # (the closer it needs, column) of each open bracket
    i, n = 0, len(source)
    space = False
    while i < n:
        ch = source[i]
        col = i + 1
        if ch in " \t\n\r~&":
            space = True
            i += 1
            continue
        if ch == "\\":
            j = i + 1
            if j < n and source[j].isalpha():
                while j < n and source[j].isalpha():
                    j += 1
                name = source[i + 1 : j]
            elif j < n:
                name = source[j]
                j += 1
            else:
                raise LatexError("a lone backslash", col, "\\")
            i = j
            if name in ("left", "right") and i < n and source[i] == ".":
                i += 1  # \left. is an invisible delimiter
                continue
            if name in SPACING or name == " ":
                space = True
                continue
            if name in ("{", "lbrace"):
                _open_bracket(opened, "\\}", col, source)
                tokens.append(Token("open", "(", col, space))
            elif name in ("}", "rbrace"):
                _close_bracket(opened, "\\}", col)
                tokens.append(Token("close", ")", col, space))
            elif name in ("|", "Vert"):
                tokens.append(Token("op", "||", col, space))
            elif name in ("mathrm", "operatorname", "mathit"):
                text, i = _read_braced_raw(source, i, col)
                tokens.append(Token("name", text.strip(), col, space, roman=True))
            elif name in TEXT_COMMANDS:
                # the argument is prose, not math: never tokenised, always refused
                _, i = _read_braced_raw(source, i, col)
                tokens.append(Token("cmd", "text", col, space))
            elif name in ("cdot", "times", "ast"):
                tokens.append(Token("op", "*", col, space))
            elif name == "div":
                tokens.append(Token("op", "/", col, space))
            else:
                tokens.append(Token("cmd", name, col, space))
            space = False
            continue
        if ch.isascii() and ch.isalpha():
            tokens.append(Token("letter", ch, col, space))
        elif ch in DIGITS or (ch == "." and i + 1 < n and source[i + 1] in DIGITS):
            j = i
            while j < n and source[j] in DIGITS:
                j += 1
            if j < n and source[j] == "." and j + 1 < n and source[j + 1] in DIGITS:
                j += 1
                while j < n and source[j] in DIGITS:
                    j += 1
            if j - i > 200:
                raise LatexError("number with more than 200 digits", col, source[i : i + 20] + "…")
            if j + 1 < n and source[j] == "." and source[j + 1] in DIGITS:
                raise LatexError("a number with two decimal points", j + 1, source[i : j + 2])
            tokens.append(Token("number", source[i:j], col, space))
            i = j
            space = False
            continue
        elif ch in OPENERS:
            _open_bracket(opened, OPENERS[ch], col, source)
            tokens.append(Token("open", ch, col, space))
        elif ch in ")]}":
            _close_bracket(opened, ch, col)
            tokens.append(Token("close", ch, col, space))
        elif ch == "_":
            text, j, sub_col = _read_script(source, i + 1, col)
            tokens.append(Token("sub", text, sub_col, space))
            i = j
            space = False
            continue
        elif ch == "." and source.startswith("...", i):
            raise LatexError(UNSUPPORTED["cdots"], col, "...")
        elif ch == "|" and source.startswith("||", i):
            tokens.append(Token("op", "||", col, space))
            i += 2
            space = False
            continue
        elif ch in "+-*/^'=<>,!|":
            tokens.append(Token("op", ch, col, space))
        else:
            raise LatexError(f"unexpected character {ch!r}", col, ch)
        space = False
        i += 1
    if opened:
        closer, at = opened[-1]
        opener = source[at - 1 : at + 1] if closer == "\\}" else source[at - 1]
        message = f"unbalanced brackets: {opener!r} opened here is never closed"
        raise LatexError(message, at, source[at - 1 : at + 19])
    tokens.append(Token("end", "", n + 1))
    return _join_letter_runs(tokens, notation)


def _open_bracket(opened: list[tuple[str, int]], closer: str, col: int, source: str) -> None:
    opened.append((closer, col))
    if len(opened) > MAX_DEPTH:
        raise LatexError(f"nested deeper than {MAX_DEPTH} levels", col, source[col - 1 : col + 19])


def _close_bracket(opened: list[tuple[str, int]], closer: str, col: int) -> None:
    if not opened:
        raise LatexError("closing bracket without an opening one", col, closer)
    expected, at = opened.pop()
    if expected != closer:
        raise LatexError(
            f"'{closer}' does not match the bracket opened at column {at} (expected '{expected}')",
            col,
            closer,
        )


def _read_braced_raw(source: str, i: int, col: int) -> tuple[str, int]:
    """Read `{…}` (or one character) starting at i; return its text and the next index."""
    while i < len(source) and source[i] == " ":
        i += 1
    if i >= len(source):
        raise LatexError("missing argument", col)
    if source[i] != "{":
        return source[i], i + 1
    depth, j = 0, i
    while j < len(source):
        if source[j] == "{":
            depth += 1
        elif source[j] == "}":
            depth -= 1
            if depth == 0:
                return source[i + 1 : j], j + 1
        j += 1
    raise LatexError("unbalanced braces: '{' is never closed", i + 1, source[i : i + 20])


def _read_script(source: str, i: int, col: int) -> tuple[str, int, int]:
    """The text of a subscript after `_`: one character, one command, or a braced group."""
    while i < len(source) and source[i] == " ":
        i += 1
    if i >= len(source):
        raise LatexError("subscript with nothing after '_'", col, "_")
    if source[i] == "\\":
        j = i + 1
        while j < len(source) and source[j].isalpha():
            j += 1
        return source[i:j], j, i + 1
    if source[i] == "{":
        text, j = _read_braced_raw(source, i, col)
        return text, j, i + 2
    return source[i], i + 1, i + 1


def _join_letter_runs(tokens: list[Token], notation: Notation) -> list[Token]:
    """Turn runs of adjacent letters into name tokens (see the module doc)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind != "letter":
            out.append(tok)
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].kind == "letter" and not tokens[j].space_before:
            j += 1
        run = "".join(t.text for t in tokens[i:j])
        pieces = _split_run(run, notation)
        leftover = [p for p in pieces if len(p) == 1 and p not in notation.declared]
        words = [p for p in pieces if len(p) > 1]
        if len(run) >= 3 and leftover and len(pieces) > 1:
            raise LatexError(
                f"cannot tell what the letters {run!r} mean: "
                f"{', '.join(repr(p) for p in leftover)} {'is' if len(leftover) == 1 else 'are'} "
                "not declared; declare the symbols in the context, or separate them "
                "(e.g. 'x \\ln y')",
                tok.col,
                run,
            )
        if len(pieces) == 1 and len(run) >= 2 and not words[0:1]:
            raise LatexError(f"cannot read {run!r}", tok.col, run)  # pragma: no cover
        offset = 0
        for k, piece in enumerate(pieces):
            space = tok.space_before if k == 0 else False
            out.append(Token("name", piece, tok.col + offset, space))
            offset += len(piece)
        i = j
    return out


def _split_run(run: str, notation: Notation) -> list[str]:
    """Longest-match split of a letter run into declared names and function words."""
    words = {w for w in notation.declared if len(w) > 1 and w.isalpha()} | set(FUNCTION_WORDS)
    pieces: list[str] = []
    i = 0
    while i < len(run):
        match = ""
        for word in words:
            if len(word) > len(match) and run.startswith(word, i):
                match = word
        if not match:
            match = run[i]
        pieces.append(match)
        i += len(match)
    return pieces


# --------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------


@dataclass
class _Sum:
    """A parsed big operator waiting for its body."""

    kind: str  # "sum" | "prod"
    index: sp.Symbol
    lower: sp.Expr
    upper: sp.Expr
    exclude: sp.Expr | None  # \sum_{q \neq j}: the excluded value


class Parser:
    def __init__(self, source: str, notation: Notation, depth: int = 0) -> None:
        self.source = source
        self.notation = notation
        self.tokens = tokenize(source, notation)
        self.pos = 0
        self.depth = depth  # a parser for a subscript starts at its parent's depth
        self.open_bars: list[str] = []

    def child(self, sub: Token) -> Parser:
        """A parser for the raw text of a subscript, nested one level deeper; its
        columns (and those of its errors) count from the start of the whole expression."""
        text = sub.text.strip()
        shift = sub.col - 1 + len(sub.text) - len(sub.text.lstrip())
        self.enter()
        try:
            child = Parser(text, self.notation, self.depth)
        except LatexError as exc:
            exc.column += shift if exc.column else 0
            raise
        finally:
            self.leave()
        for tok in child.tokens:
            tok.col += shift
        child.source = self.source
        return child

    # -- helpers ---------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> LatexError:
        tok = tok or self.tok
        fragment = self.source[tok.col - 1 : tok.col + 19] if tok.kind != "end" else ""
        return LatexError(message, tok.col, fragment)

    def expect(self, kind: str, text: str | None = None) -> Token:
        tok = self.tok
        if tok.kind != kind or (text is not None and tok.text != text):
            want = text or kind
            got = tok.text or "the end"
            raise self.error(f"expected {want!r} but found {got!r}")
        return self.next()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_RULE_DEPTH:
            raise self.error(f"nested deeper than {MAX_DEPTH} levels")

    def leave(self) -> None:
        self.depth -= 1

    # -- entry points ----------------------------------------------------
    def parse(self, allow_relation: bool = False) -> sp.Basic:
        if self.tok.kind == "end":
            raise LatexError("empty expression", self.tok.col)
        expr = self.parse_expression()
        if self.tok.kind == "op" and self.tok.text in "=<>" or (
            self.tok.kind == "cmd" and self.tok.text in RELATIONS
        ):
            if not allow_relation:
                raise self.error("a relation inside an expression")
            op = self.next().text
            right = self.parse_expression()
            expr = RELATIONS[op](expr, right, evaluate=False)
        if self.tok.kind == "cmd" and self.tok.text in UNSUPPORTED:
            raise self.error(UNSUPPORTED[self.tok.text])
        if self.tok.kind != "end":
            raise self.error(f"could not read from here: {self.tok.text!r}")
        return expr

    # -- grammar ---------------------------------------------------------
    def parse_expression(self) -> sp.Expr:
        self.enter()
        sign = 1
        if self.tok.kind == "op" and self.tok.text in "+-":
            sign = -1 if self.next().text == "-" else 1
            if self.tok.kind == "op" and self.tok.text in "+-":
                raise self.error("two signs in a row")
        terms = [sign * self.parse_term()]
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.next().text
            if self.tok.kind == "op" and self.tok.text in "+-":
                raise self.error("two signs in a row")
            term = self.parse_term()
            terms.append(-term if op == "-" else term)
        self.leave()
        return sp.Add(*terms)

    def parse_term(self) -> sp.Expr:
        """Factors joined by *, /, or juxtaposition; a sum takes the rest as its body."""
        self.enter()
        result: sp.Expr = sp.Integer(1)
        first = True
        while True:
            op = "*"
            explicit = False
            if self.tok.kind == "op" and self.tok.text in "*/":
                if first:
                    raise self.error(f"{self.tok.text!r} with nothing before it")
                op = self.next().text
                explicit = True
            elif not first and not self.starts_factor():
                break
            if self.tok.kind == "op" and self.tok.text == "-" and explicit:
                # `a * -b`: a sign right after an explicit operator
                self.next()
                factor = -self.parse_power()
            elif self.tok.kind == "cmd" and self.tok.text in ("sum", "prod"):
                factor = self.parse_big_operator()
            else:
                factor = self.parse_power()
            result = result * factor if op == "*" else result / factor
            first = False
        self.leave()
        return result

    def starts_factor(self) -> bool:
        tok = self.tok
        if tok.kind in ("letter", "name", "number"):
            return True
        if tok.kind == "open":
            return True
        if tok.kind == "op" and tok.text in ("|", "||"):
            # inside |…| the same bar closes; any other bar opens a new factor
            return not (self.open_bars and self.open_bars[-1] == tok.text)
        if tok.kind == "cmd":
            return tok.text not in RELATIONS and tok.text not in ("pm", "mp")
        return False

    def parse_big_operator(self) -> sp.Expr:
        head = self.next()
        big = self.parse_big_limits(head)
        if self.tok.kind == "open" and self.tok.text == "{":
            group = self.parse_group()
            rest = self.parse_rest_of_term()
            uses_index = any(big.index in free_symbols(f) for _, f in rest)
            if uses_index:
                body = _combine([("*", group), *rest])
                return self.build_big(big, body)
            return _combine([("*", self.build_big(big, group)), *rest])
        if not self.starts_factor():
            raise self.error(f"\\{head.text} without a body", head)
        body = self.parse_term()
        return self.build_big(big, body)

    def parse_rest_of_term(self) -> list[tuple[str, sp.Expr]]:
        rest: list[tuple[str, sp.Expr]] = []
        while True:
            if self.tok.kind == "op" and self.tok.text in "*/":
                op = self.next().text
            elif self.starts_factor():
                op = "*"
            else:
                return rest
            if self.tok.kind == "cmd" and self.tok.text in ("sum", "prod"):
                rest.append((op, self.parse_big_operator()))
                return rest
            rest.append((op, self.parse_power()))

    def parse_big_limits(self, head: Token) -> _Sum:
        if self.tok.kind != "sub" and (index := self.only_candidate_index()) is not None:
            # `\sum{y_q \log a_q}`: no index written, but the body has exactly one
            # declared index among its subscripts; it runs over that index's range
            upper = self.notation.index_upper(index)
            assert upper is not None
            return _Sum(head.text, self.notation.symbol(index), sp.Integer(1), upper, None)
        if self.tok.kind != "sub":
            raise self.error(
                f"\\{head.text} without an index: write \\{head.text}_{{k=1}}^{{n}} "
                "so the reader knows what it runs over", head
            )
        sub = self.next()
        lower_text = sub.text.strip()
        exclude = None
        sub_parser = self.child(sub) if lower_text else None
        if sub_parser is None:
            raise self.error("empty subscript", sub)
        index_tok = sub_parser.tok
        if index_tok.kind != "name" or len(index_tok.text) != 1:
            raise self.error(f"cannot read the index of \\{head.text}_{{{lower_text}}}", sub)
        sub_parser.next()
        index = self.notation.symbol(index_tok.text)
        lower: sp.Expr = sp.Integer(1)
        if sub_parser.tok.kind == "op" and sub_parser.tok.text == "=":
            sub_parser.next()
            lower = sub_parser.parse_expression()
        elif sub_parser.tok.kind == "cmd" and sub_parser.tok.text in ("neq", "ne"):
            sub_parser.next()
            exclude = sub_parser.parse_expression()
        if sub_parser.tok.kind != "end":
            raise self.error(f"cannot read the limits of \\{head.text}_{{{lower_text}}}", sub)
        upper: sp.Expr | None = None
        if self.tok.kind == "op" and self.tok.text == "^":
            self.next()
            upper = self.parse_script_group()
        if upper is None:
            upper = self.notation.index_upper(index_tok.text)
            if upper is None:
                raise self.error(
                    f"\\{head.text} over {index_tok.text} has no upper bound and "
                    f"{index_tok.text} has no declared range (context: indices: "
                    f"{{{index_tok.text}: n}})", sub
                )
        return _Sum(head.text, index, lower, upper, exclude)

    def only_candidate_index(self) -> str | None:
        """The one declared index subscripted in the braced body that follows, if one."""
        if not (self.tok.kind == "open" and self.tok.text == "{"):
            return None
        depth, k, found = 0, self.pos, set()
        while k < len(self.tokens):
            tok = self.tokens[k]
            if tok.kind == "open":
                depth += 1
            elif tok.kind == "close":
                depth -= 1
                if depth == 0:
                    break
            elif tok.kind == "sub":
                found |= {p for p in (_split_indices(tok.text.strip()) or [])
                          if p in self.notation.indices}
            k += 1
        return found.pop() if len(found) == 1 else None

    def build_big(self, big: _Sum, body: sp.Expr) -> sp.Expr:
        cls = sp.Sum if big.kind == "sum" else sp.Product
        full = cls(body, (big.index, big.lower, big.upper))
        if big.exclude is None:
            return full
        excluded = body.xreplace({big.index: big.exclude})
        return full - excluded if big.kind == "sum" else full / excluded

    def parse_script_group(self) -> sp.Expr:
        """The argument of ^: one token, or a braced group."""
        tok = self.tok
        if tok.kind == "open" and tok.text == "{":
            return self.parse_group()
        if tok.kind == "number":
            # `x^23` means x^2·3 in TeX: only the first digit is the exponent
            return _number(self.next_digit().text)
        if tok.kind == "op" and tok.text == "-":
            raise self.error("a negative exponent needs braces: ^{-1}")
        return self.parse_atom()

    def next_digit(self) -> Token:
        """Take one digit of a number token as a TeX argument (`\\frac12`, `x^23`,
        `\\sqrt 43`): the rest of the digits stay as the next token."""
        tok = self.next()
        if len(tok.text) > 1 and tok.text.isdigit():
            self.tokens.insert(self.pos, Token("number", tok.text[1:], tok.col + 1))
            return Token("number", tok.text[0], tok.col, tok.space_before)
        return tok

    def parse_group(self) -> sp.Expr:
        open_tok = self.expect("open")
        closer = OPENERS[open_tok.text] if open_tok.text in OPENERS else ")"
        if self.tok.kind == "close":
            raise self.error("empty group", open_tok)
        inner = self.parse_expression()
        if self.tok.kind != "close":
            raise self.error(
                f"expected {closer!r} to close the group opened at column {open_tok.col}"
            )
        self.next()
        return inner

    def parse_power(self) -> sp.Expr:
        self.enter()
        base = self.parse_postfix(self.parse_atom())
        if self.tok.kind == "op" and self.tok.text == "^":
            self.next()
            exponent = self.parse_script_group()
            if self.tok.kind == "op" and self.tok.text == "^":
                raise self.error("double exponent: use braces, x^{a^b}")
            base = _power(base, exponent, self)
            base = self.parse_postfix(base)
        self.leave()
        return base

    def parse_postfix(self, expr: sp.Expr) -> sp.Expr:
        while self.tok.kind == "op" and self.tok.text == "!":
            tok = self.next()
            if self.tok.kind == "op" and self.tok.text == "!":
                raise self.error("a double factorial (x!!) is not supported", tok)
            if expr.is_Integer and expr > 5000:
                raise self.error("factorial too large to evaluate exactly", tok)
            expr = sp.factorial(expr)
        return expr

    # -- atoms -----------------------------------------------------------
    def parse_atom(self) -> sp.Expr:
        tok = self.tok
        if tok.kind == "number":
            self.next()
            return _number(tok.text)
        if tok.kind == "open":
            group = self.parse_group()
            return self.after_group(group)
        if tok.kind == "op" and tok.text in ("|", "||"):
            return self.parse_abs()
        if tok.kind == "name":
            return self.parse_name()
        if tok.kind == "cmd":
            return self.parse_command()
        if tok.kind == "sub":
            raise self.error("subscript with nothing before it")
        if tok.kind == "end":
            raise self.error("expression ends too early")
        raise self.error(f"unexpected {tok.text!r}")

    def after_group(self, group: sp.Expr) -> sp.Expr:
        """`(wx+b)'_w`: the derivative of a group with respect to the subscript."""
        if self.tok.kind == "op" and self.tok.text == "'":
            prime = self.next()
            if self.tok.kind != "sub":
                raise self.error("a prime after brackets needs the variable: (…)'_w", prime)
            var = self.read_variable(self.next())
            return sp.Derivative(group, var)
        return group

    def parse_abs(self) -> sp.Expr:
        bar = self.next()
        self.open_bars.append(bar.text)
        inner = self.parse_expression()
        self.open_bars.pop()
        if not (self.tok.kind == "op" and self.tok.text == bar.text):
            raise self.error(f"{bar.text!r} opened at column {bar.col} is never closed")
        self.next()
        return sp.Abs(inner)

    def parse_name(self) -> sp.Expr:
        tok = self.next()
        name = tok.text
        if tok.roman:
            if name == "e":
                return sp.E
            if name == "d":
                raise self.error("a differential d outside a derivative", tok)
            if name in COMMAND_FUNCTIONS or name in self.notation.functions:
                return self.apply_function(name, tok)
            if not name.isalpha():
                raise self.error(f"cannot read \\mathrm{{{name}}}", tok)
            if name not in self.notation.declared and len(name) > 1:
                raise self.error(f"unknown name {name!r}: declare it in the context", tok)
        if name in FUNCTION_WORDS or name in ("max", "min"):
            return self.apply_function(name, tok)
        return self.named_value(name, tok)

    def parse_command(self) -> sp.Expr:
        tok = self.next()
        name = tok.text
        if name == "frac" or name in ("dfrac", "tfrac"):
            return self.parse_frac(tok)
        if name == "sqrt":
            return self.parse_sqrt()
        if name == "binom":
            top, bottom = self.parse_group(), self.parse_group()
            if _too_big(top):
                return sp.binomial(top, bottom, evaluate=False)
            return sp.binomial(top, bottom)
        if name in COMMAND_FUNCTIONS:
            return self.apply_function(name, tok)
        if name == "pi":
            return sp.pi
        if name == "infty":
            return sp.oo
        if name in DECORATIONS:
            inner, _ = _read_braced_raw_from_tokens(self)
            if not (inner.isalpha() and len(inner) == 1):
                raise self.error(f"cannot read \\{name}{{{inner}}}", tok)
            return self.named_value(inner + DECORATIONS[name], tok)
        if name in GREEK:
            return self.named_value(name, tok)
        if name in ("partial", "mathrm"):
            raise self.error("∂ outside a derivative fraction", tok)
        if name in UNSUPPORTED:
            raise self.error(UNSUPPORTED[name], tok)
        if name in ("sum", "prod"):
            raise self.error(f"\\{name} in an exponent or argument needs braces", tok)
        raise self.error(f"unknown command \\{name}", tok)

    def named_value(self, name: str, tok: Token) -> sp.Expr:
        """A symbol, an indexed entry, a function call or a derivative of a function."""
        notation = self.notation
        if self.tok.kind == "sub":
            label = label_function_name(name, self.tok.text)
            if label is not None and label in notation.functions:
                self.next()
                return self.apply_function(label, tok)
        if name in notation.functions:
            if self.tok.kind == "sub" and self.peek().kind == "open":
                # `g_j(x)`: a family of functions, g at index j, read g(j, x)
                sub = self.next()
                index = self.subscripted(name, sub)
                leading = index.indices if isinstance(index, sp.Indexed) else (index,)
                return self.apply_function(name, tok, tuple(leading))
            return self.apply_function(name, tok)
        if self.tok.kind == "op" and self.tok.text == "'":
            raise self.error(
                f"{name}' is the derivative of {name}, but {name} is not a declared function", tok
            )
        if self.tok.kind == "sub":
            sub = self.next()
            entry = self.subscripted(name, sub)
            if name == "delta" and "delta" not in notation.declared:
                return _kronecker(entry, self, sub)
            return entry
        if name == "e" and "e" not in notation.declared:
            return sp.E
        return notation.symbol(name)

    def subscripted(self, name: str, sub: Token) -> sp.Expr:
        text = sub.text.strip()
        if text.replace(",", "").replace(" ", "").isalnum() and text.isascii():
            parts = _split_indices(text)
            if parts is not None:
                indices = [
                    sp.Integer(int(p)) if p.isdigit() else self.notation.symbol(p) for p in parts
                ]
                return self.notation.indexed_base(name)[tuple(indices)]
            # a word: part of the name (x_{max})
            return self.notation.symbol(f"{name}_{{{text}}}")
        inner = self.child(sub).parse()
        return self.notation.indexed_base(name)[inner]

    def apply_function(self, name: str, tok: Token, leading: tuple[sp.Expr, ...] = ()) -> sp.Expr:
        primes = 0
        while self.tok.kind == "op" and self.tok.text == "'":
            self.next()
            primes += 1
        base: sp.Expr | None = None
        if self.tok.kind == "sub":
            sub = self.next()
            if name not in ("log",):
                raise self.error(f"cannot read a subscript on {name}", sub)
            base = self.child(sub).parse()
        power = None
        if self.tok.kind == "op" and self.tok.text == "^" and name not in self.notation.functions:
            # \sin^2 x = (\sin x)^2
            self.next()
            power = self.parse_script_group()
        if self.tok.kind == "open" and self.tok.text in "({[":
            if self.tok.text == "(" or name not in self.notation.functions:
                args = self.parse_arguments()
            else:
                raise self.error(f"{name} is a declared function: write its argument in ( )")
        elif name in self.notation.functions:
            raise self.error(f"{name} is a declared function but has no argument here", tok)
        elif self.tok.kind == "cmd" and self.tok.text in ("sum", "prod"):
            # \log \sum_k e^{z_k}: the sum, with its whole body, is the argument
            args = [self.parse_big_operator()]
        elif self.starts_factor():
            args = [self.parse_power()]
        else:
            raise self.error(f"{name} without an argument", tok)
        if leading and primes:
            raise self.error(f"a prime on the indexed function {name} is not supported", tok)
        value = self.call(name, [*leading, *args], tok, primes)
        if base is not None:
            value = sp.log(args[0], base)
        if power is not None:
            value = _power(value, power, self)
        return value

    def parse_arguments(self) -> list[sp.Expr]:
        open_tok = self.next()
        args = [self.parse_expression()]
        while self.tok.kind == "op" and self.tok.text == ",":
            self.next()
            args.append(self.parse_expression())
        if self.tok.kind != "close":
            raise self.error(f"the bracket opened at column {open_tok.col} is never closed")
        self.next()
        return args

    def call(self, name: str, args: list[sp.Expr], tok: Token, primes: int) -> sp.Expr:
        if name in self.notation.functions:
            fn = self.notation.function(name)
            if primes == 0:
                return fn(*args)
            if len(args) != 1:
                raise self.error(f"{name}' needs exactly one argument", tok)
            return _derivative_of_function(fn, args[0], primes)
        if primes:
            raise self.error(f"a prime on the built-in {name} is not supported", tok)
        if name in ("max", "min"):
            return (sp.Max if name == "max" else sp.Min)(*args)
        if len(args) != 1:
            raise self.error(f"{name} takes one argument", tok)
        (arg,) = args
        if name == "sigmoid":
            return logistic(arg)
        if name == "log" and self.notation.log_base != "natural":
            return sp.log(arg, int(self.notation.log_base))
        return FUNCTION_WORDS[name](arg)  # type: ignore[operator]

    def parse_sqrt(self) -> sp.Expr:
        index = None
        if self.tok.kind == "open" and self.tok.text == "[":
            index = self.parse_group()
        if self.tok.kind == "open":
            radicand = self.parse_group()
        elif self.tok.kind == "number":
            radicand = _number(self.next_digit().text)
        else:
            radicand = self.parse_atom()
        return sp.sqrt(radicand) if index is None else sp.root(radicand, index)

    # -- fractions and derivatives --------------------------------------
    def parse_frac(self, tok: Token) -> sp.Expr:
        numer_tokens = self.take_group_tokens()
        denom_tokens = self.take_group_tokens()
        derivative = self.try_derivative(numer_tokens, denom_tokens, tok)
        if derivative is not None:
            return derivative
        numer = self.sub_parse(numer_tokens)
        denom = self.sub_parse(denom_tokens)
        return numer / denom

    def take_group_tokens(self) -> list[Token]:
        """The tokens of the next argument: a braced group, or a single token."""
        if self.tok.kind == "open" and self.tok.text == "{":
            open_tok = self.next()
            start = self.pos
            depth = 1
            while True:
                t = self.tok
                if t.kind == "end":
                    raise self.error(f"'{{' at column {open_tok.col} is never closed", open_tok)
                if t.kind == "open":
                    depth += 1
                elif t.kind == "close":
                    depth -= 1
                    if depth == 0:
                        break
                self.next()
            inner = self.tokens[start : self.pos]
            if not inner:
                raise self.error("empty argument", open_tok)
            self.next()
            return inner
        if self.tok.kind == "number":
            return [self.next_digit()]
        if self.tok.kind in ("name", "letter", "cmd"):
            return [self.next()]
        raise self.error("\\frac needs two arguments")

    def sub_parse(self, tokens: list[Token]) -> sp.Expr:
        if not tokens:
            raise self.error("empty argument")
        sub = Parser.__new__(Parser)
        sub.source = self.source
        sub.notation = self.notation
        end_col = tokens[-1].col + len(tokens[-1].text)
        sub.tokens = [*tokens, Token("end", "", end_col)]
        sub.pos = 0
        sub.depth = self.depth
        sub.open_bars = []
        value = sub.parse_expression()
        if sub.tok.kind != "end":
            raise sub.error(f"could not read from here: {sub.tok.text!r}")
        return value

    def try_derivative(
        self, numer: list[Token], denom: list[Token], tok: Token
    ) -> sp.Expr | None:
        diff_kind = _differential(numer)
        if diff_kind is None or _differential(denom) is None:
            return None
        order_n, body_tokens = _strip_differential(numer, self)
        variables = _denominator_variables(denom, self)
        total = sum(count for _, count in variables)
        if order_n != total:
            raise self.error(
                f"derivative order {order_n} in the numerator but {total} in the denominator", tok
            )
        diff_vars = [(var, count) for var, count in variables]
        if body_tokens:
            body = self.sub_parse(body_tokens)
        else:
            # operator form \frac{d}{dx} f: applies to the next factor
            if not self.starts_factor():
                raise self.error("\\frac{d}{dx} with nothing after it", tok)
            body = self.parse_power()
        clash = set().union(*(free_symbols(var) for var, _ in diff_vars))
        return sp.Derivative(_rename_captured(body, clash), *diff_vars)

    def read_variable(self, sub: Token) -> sp.Expr:
        """The variable in (…)'_w: a letter, possibly indexed."""
        return self.child(sub).parse_variable()

    def parse_variable(self) -> sp.Expr:
        value = self.parse_atom()
        if self.tok.kind != "end":
            raise self.error("expected a single variable")
        if not isinstance(value, (sp.Symbol, sp.Indexed)):
            raise self.error("a derivative must be taken with respect to a variable")
        return value


def _rename_captured(expr: sp.Expr, free: set[sp.Symbol]) -> sp.Expr:
    """`\\partial(\\sum_q y_q \\log a_q) / \\partial a_q`: the q of the sum is bound and the q of
    a_q is free; a reader reads the sum's q as a different letter (q'), so the derivative
    picks out the term of the sum at the free q."""
    if not free or not expr.has(sp.Sum, sp.Product):
        return expr

    def visit(node: sp.Basic) -> sp.Basic:
        if isinstance(node, (sp.Sum, sp.Product)):
            fresh = {
                var: sp.Symbol(f"{var.name}'", **var.assumptions0)
                for var, *_ in node.limits
                if var in free
            }
            body = visit(node.function).xreplace(fresh)
            return node.func(body, *rename_limits(node.limits, fresh))
        if not node.args or isinstance(node, (sp.Indexed, sp.IndexedBase, sp.Symbol)):
            return node
        return node.func(*[visit(a) for a in node.args])

    return visit(expr)  # type: ignore[return-value]


def _read_braced_raw_from_tokens(parser: Parser) -> tuple[str, int]:
    tokens = parser.take_group_tokens()
    return "".join(t.text for t in tokens), len(tokens)


def _differential(tokens: list[Token]) -> str | None:
    if not tokens:
        return None
    first = tokens[0]
    if first.kind == "cmd" and first.text == "partial":
        return "partial"
    if first.kind == "name" and first.text == "d" and (first.roman or len(tokens) >= 1):
        # `d` alone, `dL`, `\mathrm{d}x`: a differential only when the other side
        # of the fraction is one too (checked by the caller).
        return "d"
    return None


def _strip_differential(tokens: list[Token], parser: Parser) -> tuple[int, list[Token]]:
    """Numerator `∂^2 f` → (2, tokens of f)."""
    order, j = _derivative_order(tokens, 1, parser)
    return order, tokens[j:]


def _denominator_variables(tokens: list[Token], parser: Parser) -> list[tuple[sp.Expr, int]]:
    """`∂w`, `∂{z_j}`, `∂x^2`, `∂x ∂y`, `dx` → [(variable, order), …]."""
    out: list[tuple[sp.Expr, int]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        is_partial = tok.kind == "cmd" and tok.text == "partial"
        if not (is_partial or (tok.kind == "name" and tok.text == "d")):
            raise parser.error("expected ∂ or d before each variable of a derivative", tok)
        i += 1
        j = i
        if j < len(tokens) and tokens[j].kind == "open":
            depth = 0
            while j < len(tokens):
                if tokens[j].kind == "open":
                    depth += 1
                elif tokens[j].kind == "close":
                    depth -= 1
                    if depth == 0:
                        j += 1
                        break
                j += 1
            var_tokens = tokens[i + 1 : j - 1]
        else:
            j = i + 1
            if j < len(tokens) and tokens[j].kind == "sub":
                j += 1
            var_tokens = tokens[i:j]
        if not var_tokens:
            raise parser.error("a derivative without its variable", tok)
        var = parser.sub_parse(var_tokens)
        if not isinstance(var, (sp.Symbol, sp.Indexed)):
            raise parser.error("a derivative must be taken with respect to a variable", tok)
        order, j = _derivative_order(tokens, j, parser)
        out.append((var, order))
        i = j
    if not out:
        raise parser.error("a derivative without its variable")
    return out


def _derivative_order(tokens: list[Token], j: int, parser: Parser) -> tuple[int, int]:
    """The order after `∂` or a variable: `^2` or `^{2}` (default 1); returns (order, next j)."""
    if not (j < len(tokens) and tokens[j].kind == "op" and tokens[j].text == "^"):
        return 1, j
    after = tokens[j + 1 : j + 4]
    if after and after[0].kind == "number" and after[0].text.isdigit():
        digits, end = after[0].text, j + 2
    elif (
        len(after) == 3
        and after[0].kind == "open"
        and after[1].kind == "number"
        and after[1].text.isdigit()
        and after[2].kind == "close"
    ):
        digits, end = after[1].text, j + 4
    else:
        raise parser.error("cannot read the order of the derivative", tokens[j])
    if len(digits) > 2:
        raise parser.error("derivative order too large", tokens[j])
    return int(digits), end


def _kronecker(entry: sp.Expr, parser: Parser, sub: Token) -> sp.Expr:
    """`\\delta_{ij}` is the Kronecker delta (unless δ is declared as a name)."""
    if not isinstance(entry, sp.Indexed) or len(entry.indices) != 2:
        raise parser.error("\\delta needs two indices, as in \\delta_{ij}", sub)
    return sp.KroneckerDelta(*entry.indices)


def _derivative_of_function(fn: sp.FunctionClass, arg: sp.Expr, primes: int) -> sp.Expr:
    if isinstance(arg, sp.Symbol):
        return sp.Derivative(fn(arg), (arg, primes))
    t = sp.Symbol("t_", real=True)
    return sp.Subs(sp.Derivative(fn(t), (t, primes)), t, arg)


def _split_indices(text: str) -> list[str] | None:
    """`ij` → [i, j]; `i1` → [i, 1]; `10` → [10]; `i,j` → [i, j]; words → None."""
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        if all(p.isdigit() or (p.isalpha() and len(p) == 1) for p in parts):
            return parts
        return None
    letters = [c for c in text if c.isalpha()]
    if len(letters) > 2:
        return None
    parts: list[str] = []
    for ch in text.replace(" ", ""):
        if ch.isdigit() and parts and parts[-1].isdigit():
            parts[-1] += ch
        else:
            parts.append(ch)
    return parts


def _number(text: str) -> sp.Expr:
    value = Fraction(text)  # digits and one dot only: the tokenizer guarantees it
    return sp.Rational(value.numerator, value.denominator)


def _too_big(expr: sp.Expr) -> bool:
    return bool(expr.is_Integer and abs(int(expr)) > 10**4)


def _power(base: sp.Expr, exponent: sp.Expr, parser: Parser) -> sp.Expr:
    if base.is_Number and exponent.is_Number:
        # exact powers of numbers are computed eagerly by SymPy: refuse huge ones
        size = abs(float(exponent)) * max(1.0, float(sp.log(abs(base) + 1, 10).evalf(5)))
        if size > MAX_EXPONENT_DIGITS:
            raise parser.error(f"the number {base}^{exponent} is too large to compute exactly")
    if base is sp.E:
        return sp.exp(exponent)
    return sp.Pow(base, exponent)


def _combine(factors: Iterable[tuple[str, sp.Expr]]) -> sp.Expr:
    result: sp.Expr = sp.Integer(1)
    for op, factor in factors:
        result = result * factor if op == "*" else result / factor
    return result


def free_symbols(expr: sp.Basic) -> set[sp.Symbol]:
    """Free symbols, counting index symbols inside Indexed, and excluding the
    variables bound by Sum/Product (SymPy's own free_symbols keeps `y[i]` in
    `Sum(y[i], (i, 1, n))`)."""
    if isinstance(expr, sp.Symbol):
        return {expr}
    if isinstance(expr, sp.Indexed):
        out: set[sp.Symbol] = set()
        for index in expr.indices:
            out |= free_symbols(index)
        return out
    if isinstance(expr, sp.IndexedBase):
        return set()
    if isinstance(expr, (sp.Sum, sp.Product)):
        body = free_symbols(expr.function)
        for var, *bounds in expr.limits:
            body.discard(var)
            for bound in bounds:
                body |= free_symbols(bound)
        return body
    if isinstance(expr, sp.Derivative):
        out = free_symbols(expr.expr)
        for var, _count in expr.variable_count:
            out |= free_symbols(var)
        return out
    out = set()
    for arg in expr.args:
        out |= free_symbols(arg)
    return out


def parse_latex(
    source: str, notation: Notation | None = None, *, relation: bool = False
) -> sp.Basic:
    """Read one expression (or, with relation=True, one equation/inequality)."""
    try:
        return Parser(source, notation or Notation()).parse(allow_relation=relation)
    except RecursionError:
        # MAX_RULE_DEPTH is sized for the worker's big stack; on a default stack a
        # chain of unbracketed arguments (\log \log … x) can still run out first.
        raise LatexError(
            "nested too deeply to read (Python's recursion limit)", 1, source[:20]
        ) from None

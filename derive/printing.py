"""Evidence in the reader's notation: SymPy objects printed as LaTeX the way notes write them.

The engine works on SymPy objects whose names are its own: the entry ``z_2`` of
a family is a symbol named ``z[2]`` once a size is instantiated, a seeded
stand-in for an unknown function is a ``Lambda`` over ``t1``, a derivative of
an unknown function is ``Derivative(K(t), t)``.  Everything a reader sees —
residual, ratio, counterexample, the formulas inside a message — is printed
here, from the expression tree, with the names as the document writes them:

* ``z[2]`` → ``z_{2}``, ``a[1, 1]`` → ``a_{11}``, ``alpha[k]`` → ``\\alpha_{k}``,
  ``yhat[1]`` → ``\\hat{y}_{1}``, ``LSE`` → ``\\mathrm{LSE}``;
* ``K(a)`` → ``K(a)``; ``Derivative(K(t), t)`` → ``\\frac{dK}{dt}``;
  ``Derivative(L(t, W), W)`` → ``\\frac{\\partial L}{\\partial W}``;
  the derivative of an unknown ``σ`` at a point → ``\\sigma'(2 a)``;
* the function a counterexample chose: ``K(t) = \\frac{t^{2}}{2} + 3 t + …``,
  over the argument the document gave ``K``.

Runs in the worker (it needs SymPy); the reports only ever see the strings.
Printing never costs a verdict: every entry point falls back to something
plain rather than raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter, translate

# A symbol the engine made for one entry of a family: "z[2]", "a[1, 12]", "yhat[1]".
_ENTRY = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<indices>[^\[\]]+)\]$")
# Brackets a formula needs only when it holds something taller than a letter.
_TALL = re.compile(r"\\(frac|sum|prod|int|left|dfrac|binom)")


def name_latex(name: str) -> str:
    """The LaTeX of a name as the engine spells it (``z[2]``, ``alpha``, ``x_max``)."""
    return ReaderPrinter().name(name)


class ReaderPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the names and the calculus notation of notes."""

    def __init__(self, natural_log: str = r"\log") -> None:
        super().__init__({"mul_symbol": None})
        self._log = natural_log

    # -- names ---------------------------------------------------------------

    def name(self, name: str) -> str:
        entry = _ENTRY.match(name)
        if entry:
            indices = [part.strip() for part in entry["indices"].split(",")]
            return self._subscripted(self.name(entry["base"]), indices)
        if "\\" in name or "{" in name:  # already LaTeX, as the document wrote it
            return name
        if name.isalpha() and len(name) > 1 and translate(name) == name:
            return rf"\mathrm{{{name}}}"  # a word (LSE, MSE) is upright, not a product
        return self._deal_with_super_sub(name)

    @staticmethod
    def _subscripted(base: str, indices: list[str]) -> str:
        # y_{ij} as notes write it; a comma only where an index is longer than one sign
        joined = "".join(indices) if all(len(i) == 1 for i in indices) else ",".join(indices)
        if re.search(r"[_^]", base):
            base = "{" + base + "}"
        return f"{base}_{{{joined}}}"

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:  # noqa: N802
        return self.name(expr.name)

    def _print_Dummy(self, expr: sp.Dummy) -> str:  # noqa: N802
        return self.name(expr.name)

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:  # noqa: N802
        return self.name(str(expr.label))

    def _print_Indexed(self, expr: sp.Indexed) -> str:  # noqa: N802
        indices = [self._print(i) for i in expr.indices]
        return self._subscripted(self._print(expr.base), [i.replace(" ", "") for i in indices])

    # -- functions -----------------------------------------------------------

    def _arguments(self, args: Iterable[sp.Basic]) -> str:
        inner = ", ".join(self._print(a) for a in args)
        return rf"\left({inner}\right)" if _TALL.search(inner) else f"({inner})"

    def _function_name(self, func: Any) -> str:
        return self.name(str(getattr(func, "__name__", func)))

    def _print_AppliedUndef(self, expr: AppliedUndef, exp: str | None = None) -> str:  # noqa: N802
        applied = self._function_name(expr.func) + self._arguments(expr.args)
        return applied if exp is None else f"{applied}^{{{exp}}}"

    def _print_log(self, expr: sp.log, exp: str | None = None) -> str:  # noqa: N802
        head = self._log if exp is None else f"{self._log}^{{{exp}}}"
        (arg,) = expr.args
        if arg.is_Symbol or isinstance(arg, sp.Indexed) or (arg.is_Integer and arg > 0):
            return f"{head} {self._print(arg)}"
        return rf"{head}\left({self._print(arg)}\right)"

    def _print_Derivative(self, expr: sp.Derivative) -> str:  # noqa: N802
        inner = expr.expr
        if isinstance(inner, AppliedUndef) and all(
            v in inner.args for v, _ in expr.variable_count
        ):
            # dK/dt: the unknown function differentiated in one of its own arguments
            partial = len(inner.args) > 1
            d = r"\partial " if partial else "d"
            order = sum(int(n) for _, n in expr.variable_count)
            top = d + (f"^{{{order}}}" if order > 1 else "") + self._function_name(inner.func)
            bottom = "".join(
                d + self._print(v) + (f"^{{{int(n)}}}" if n > 1 else "")
                for v, n in expr.variable_count
            )
            return rf"\frac{{{top}}}{{{bottom}}}"
        return super()._print_Derivative(expr)

    def _print_Subs(self, expr: sp.Subs) -> str:  # noqa: N802
        # f'(2a): SymPy's "d/dξ f(ξ) at ξ = 2a" for an unknown function at a point
        derivative, variables, points = expr.args
        if (
            isinstance(derivative, sp.Derivative)
            and isinstance(derivative.expr, AppliedUndef)
            and len(derivative.expr.args) == 1
            and len(variables) == 1
            and derivative.variables == (variables[0],)
            and derivative.expr.args[0] == variables[0]
        ):
            order = len(derivative.variables)
            primes = "'" * order if order <= 3 else f"^{{({order})}}"
            return self._function_name(derivative.expr.func) + primes + self._arguments(points)
        return super()._print_Subs(expr)


def to_latex(expr: sp.Basic | None, natural_log: str = r"\log") -> str | None:
    """``expr`` in the reader's notation; None for None; plain text if printing fails."""
    if expr is None:
        return None
    try:
        return ReaderPrinter(natural_log).doprint(expr)
    except Exception:  # noqa: BLE001 - printing must never sink a verdict
        return _fallback(expr)


def _fallback(expr: sp.Basic) -> str:
    try:
        return sp.latex(expr)
    except Exception:  # noqa: BLE001
        return r"\text{(cannot print this expression)}"


# --------------------------------------------------------------------------
# counterexamples
# --------------------------------------------------------------------------


_RATIONAL = re.compile(r"^\s*-?\d+(?:/\d+)?\s*$")


def number_latex(text: str) -> str:
    """A value as the engine writes it (``-1/2``, ``3``) in LaTeX (``-\\frac{1}{2}``);
    decimals (a root found numerically) stay as they are."""
    if not _RATIONAL.match(text):
        return text.strip()
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return text
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def chosen_function(
    func: Any, body: sp.Lambda, uses: Iterable[sp.Basic], natural_log: str = r"\log"
) -> tuple[str, str]:
    """``(K(t), \\frac{t^{2}}{2} + …)`` for the stand-in the engine chose for ``func``.

    The parameters are named after the arguments the document gave the function
    where it always gives the same plain ones (``K(t)``); otherwise ``t`` or
    ``t_1, t_2, …``."""
    params = tuple(body.variables)
    applied = [u for u in uses if isinstance(u, AppliedUndef) and u.func == func]
    own = {u.args for u in applied}
    names: tuple[sp.Symbol, ...]
    if len(own) == 1:
        (args,) = own
        if len(args) == len(params) and len(set(args)) == len(args) and all(
            a.is_Symbol for a in args
        ):
            names = tuple(sp.Symbol(a.name) for a in args)
        else:
            names = _generic(len(params))
    else:
        names = _generic(len(params))
    printer = ReaderPrinter(natural_log)
    renamed = body.expr.xreplace(dict(zip(params, names, strict=True)))
    head = printer._function_name(func) + printer._arguments(names)
    return head, printer.doprint(renamed)


def _generic(arity: int) -> tuple[sp.Symbol, ...]:
    if arity == 1:
        return (sp.Symbol("t"),)
    return tuple(sp.Symbol(f"t_{i}") for i in range(1, arity + 1))


def counterexample_latex(
    counterexample: Mapping[str, str] | None,
    functions: Mapping[Any, sp.Lambda] | None = None,
    expressions: Iterable[sp.Basic] = (),
    natural_log: str = r"\log",
) -> dict[str, str] | None:
    """The counterexample as LaTeX ``name → value``, in the engine's order.

    ``counterexample`` is the engine's text (``{"z[1]": "0", "K(t1)": "t1**2/2 + …"}``);
    the entries for functions are printed from ``functions`` (the ``Lambda``
    each unknown function was given), named after their uses in ``expressions``."""
    if counterexample is None:
        return None
    try:
        uses = [a for e in expressions for a in e.atoms(AppliedUndef)]
        by_text = {_function_key(f, lam): (f, lam) for f, lam in (functions or {}).items()}
        out: dict[str, str] = {}
        for name, value in counterexample.items():
            if name in by_text:
                head, body = chosen_function(*by_text[name], uses, natural_log)
                out[head] = body
            elif "(" in name:  # a function the engine did not hand over: say so, never sstr
                out[name_latex(name.split("(", 1)[0]) + r"(\ldots)"] = r"\text{a chosen function}"
            else:
                out[name_latex(name)] = number_latex(value)
        return out
    except Exception:  # noqa: BLE001 - display only
        return {name_latex(k): r"\text{?}" for k in counterexample}


def _function_key(func: Any, lam: sp.Lambda) -> str:
    # the key the engine's text uses: "K(t1)", "L(t1, t2)"
    return f"{func}({', '.join(str(v) for v in lam.variables)})"


def mapping_latex(mapping: Mapping[str, str]) -> str:
    """``z_{1} = 0, K(t) = …`` as one formula."""
    return ", ".join(f"{k} = {v}" for k, v in mapping.items())


# --------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------


def message_parts(
    message: str,
    formulas: Mapping[str, str],
    counterexample_text: Mapping[str, str] | None,
    counterexample_math: Mapping[str, str] | None,
) -> list[tuple[str, str]]:
    """The engine's message with every formula in it as LaTeX.

    ``formulas`` maps the engine's text of an object (``sp.sstr`` of the ratio,
    the residual) to its LaTeX; the counterexample as the engine listed it
    (``b = 1, z[1] = 0``) becomes one formula.  Any other engine name left in the
    prose (``z[1]``, ``yhat``) is printed too.  Pieces are ``("text", …)`` and
    ``("math", …)``, in order."""
    replacements: dict[str, str] = {k: v for k, v in formulas.items() if k and v}
    if counterexample_text and counterexample_math is not None:
        where = ", ".join(f"{k} = {v}" for k, v in counterexample_text.items())
        if where:
            replacements[where] = mapping_latex(counterexample_math)
        for (k, v), (mk, mv) in zip(
            counterexample_text.items(), counterexample_math.items(), strict=False
        ):
            replacements.setdefault(f"{k} = {v}", f"{mk} = {mv}")
    parts = _split(message, replacements)
    out: list[tuple[str, str]] = []
    for kind, value in parts:
        if kind == "text":
            out.extend(_names_in_prose(value))
        else:
            out.append((kind, value))
    return _merged(out)


def _split(message: str, replacements: Mapping[str, str]) -> list[tuple[str, str]]:
    if not replacements:
        return [("text", message)]
    keys = sorted(replacements, key=len, reverse=True)  # the longest formula first
    pattern = re.compile("|".join(re.escape(k) for k in keys))
    out: list[tuple[str, str]] = []
    pos = 0
    for match in pattern.finditer(message):
        if match.start() > pos:
            out.append(("text", message[pos : match.start()]))
        out.append(("math", replacements[match.group(0)]))
        pos = match.end()
    if pos < len(message):
        out.append(("text", message[pos:]))
    return out


# engine names in prose: an entry z[1] / a[1, 2], never a word of English
_PROSE_ENTRY = re.compile(r"(?<![\w\\])([A-Za-z][A-Za-z0-9_]*\[\d+(?:, ?\d+)*\])")


def _names_in_prose(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for match in _PROSE_ENTRY.finditer(text):
        if match.start() > pos:
            out.append(("text", text[pos : match.start()]))
        out.append(("math", name_latex(match.group(1))))
        pos = match.end()
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


def _merged(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for kind, value in parts:
        if not value:
            continue
        if out and out[-1][0] == kind == "text":
            out[-1] = ("text", out[-1][1] + value)
        else:
            out.append((kind, value))
    return out


# --------------------------------------------------------------------------
# one decision's evidence, as the reports get it
# --------------------------------------------------------------------------


@dataclass
class ReaderEvidence:
    """What a reader is shown of a decision, every formula in LaTeX."""

    residual: str | None = None
    ratio: str | None = None
    counterexample: dict[str, str] | None = None
    message: list[tuple[str, str]] | None = None


def reader_evidence(
    decision: Any,
    message: str,
    expressions: Iterable[sp.Basic],
    readable: Callable[[sp.Basic | None], sp.Basic | None],
    natural_log: str = r"\log",
) -> ReaderEvidence:
    """The residual, ratio, counterexample and ``message`` (the decision's, with
    what the step adds) of an engine ``Decision`` in the reader's notation.
    ``readable`` folds the document's definitions back into an expression
    (``e^{-z}`` → ``a``) before it is printed."""
    residual = readable(decision.residual)
    ratio = readable(decision.ratio)
    out = ReaderEvidence(to_latex(residual, natural_log), to_latex(ratio, natural_log))
    out.counterexample = counterexample_latex(
        decision.counterexample, decision.functions, expressions, natural_log
    )
    formulas = {}
    for engine_object, shown in ((decision.ratio, out.ratio), (decision.residual, out.residual)):
        if engine_object is not None and shown:
            try:
                formulas[sp.sstr(engine_object)] = shown
            except Exception:  # noqa: BLE001 - display only
                pass
    if message:
        out.message = message_parts(
            message, formulas, decision.counterexample, out.counterexample
        )
    return out

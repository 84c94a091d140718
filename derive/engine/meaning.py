"""Names whose meaning the document leaves open, and how a step may still be decided.

A step is refuted only on meaning the document gives (design §5).  The names it
does not give a meaning are

- an *unknown function*: an application ``f(x)`` of a SymPy ``AppliedUndef``
  left after the definitions are substituted (``\\gamma(x_n, k)``, or ``L(w)``
  made from ∂L/∂w with L never defined);
- an *opaque operator*: an application of a ``Function`` class with the class
  attribute ``opaque = True`` (``E[X]``, ``Var``, ``P(·)``, ``KL`` as the reader
  builds them);
- anything built on one of those: a derivative, a ``Subs``, a sum, a product,
  an integral or a limit whose body holds one;
- a letter used in two roles in one step (``v`` and ``v(t)``; ``f(x)`` and
  ``f(x, y)``): which of its meanings a plain ``v`` carries is not given.

``generalise`` replaces every such atom by a *generic value*: a fresh real
symbol, shared by the occurrences that are equal after cheap canonical forms
of their arguments.  Two facts make that useful, and both are sound for every
meaning the document leaves open:

- an identity that holds for every generic value holds for every meaning of
  the names (so a proof on the generalised sides is a proof);
- a disagreement refutes the step only when the difference of the sides is
  shown, by a sound rewrite, not to depend on the generic values at all
  (``proof.free_of``); then the counterexample holds whatever the names mean.
  Otherwise the step is ``undecided``, and ``depends_message`` says on what.

``named_by_step`` finds the other kind of step with nothing to refute: ``NAME =
expression`` where NAME has no meaning but the one this step gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.str import StrPrinter

from .limits import limited

# Nodes that bind or transform their body: built on an unknown, the whole node is one.
_BUILT_ON = (sp.Derivative, sp.Subs, sp.Sum, sp.Product, sp.Integral, sp.Limit)
ARGUMENT_SECONDS = 0.2  # cap on the canonical form of one argument (the key of an atom)
MAX_NAMED = 3  # unknowns named in a message; the rest are counted
_NONE: Mapping[str, int] = MappingProxyType({})


def is_opaque(node: sp.Basic, varying: Mapping[str, int] = _NONE) -> bool:
    """An unknown function applied, or an opaque operator applied.

    ``varying``: quantities declared to vary (``depends: {v: t}``, name → how
    many variables).  v(t) is then any function of t, not an unknown one: a
    claim about it must hold for all of them, so it is not opaque."""
    if isinstance(node, AppliedUndef):
        return varying.get(_head_name(node)) != len(node.args)
    return isinstance(node, sp.Function) and getattr(type(node), "opaque", False) is True


def has_unknown(e: sp.Basic, varying: Mapping[str, int] = _NONE) -> bool:
    """Does e contain a name whose meaning the document leaves open?"""
    return isinstance(e, sp.Basic) and _Scan(varying).contains(e)


@dataclass(frozen=True)
class Unknown:
    """One generic value and what it stands for."""

    symbol: sp.Symbol  # the generic value (a Dummy: it can never clash with a document name)
    atom: sp.Basic  # the unknown it stands for, as the step has it
    kind: str  # "function" | "operator" | "built" (a derivative, Subs, sum … of one)

    @property
    def text(self) -> str:
        return describe(self.atom)


@dataclass
class Generalised:
    """Both sides with every unknown replaced by its generic value."""

    lhs: sp.Expr
    rhs: sp.Expr
    unknowns: list[Unknown] = field(default_factory=list)
    # letters used in two roles: name -> what the roles are, in words
    roles: dict[str, str] = field(default_factory=dict)
    # the plain symbols of those letters: the difference must not depend on them either
    role_symbols: set[sp.Basic] = field(default_factory=set)

    @property
    def open_symbols(self) -> set[sp.Basic]:
        """Symbols a refutation must be independent of."""
        return {u.symbol for u in self.unknowns} | self.role_symbols

    @property
    def any(self) -> bool:
        return bool(self.unknowns or self.roles)


def generalise(
    lhs: sp.Expr, rhs: sp.Expr, varying: Mapping[str, int] = _NONE
) -> Generalised:
    """Replace unknown atoms by generic values (shared across the two sides)."""
    roles, role_symbols = two_roles([lhs, rhs])
    scan = _Scan(varying)
    if not (scan.contains(lhs) or scan.contains(rhs)):
        return Generalised(lhs, rhs, [], roles, role_symbols)
    table: dict[tuple, Unknown] = {}
    new_lhs = scan.replace(lhs, table)
    new_rhs = scan.replace(rhs, table)
    return Generalised(new_lhs, new_rhs, list(table.values()), roles, role_symbols)


class _Scan:
    """One walk's memo of which subtrees hold an unknown (linear, not quadratic,
    in the size of the step: a step may hold hundreds of unknown names)."""

    def __init__(self, varying: Mapping[str, int]):
        self.varying = varying
        self.memo: dict[sp.Basic, bool] = {}

    def contains(self, node: sp.Basic) -> bool:
        found = self.memo.get(node)
        if found is None:
            found = is_opaque(node, self.varying) or any(self.contains(a) for a in node.args)
            self.memo[node] = found
        return found

    def replace(self, node: sp.Basic, table: dict[tuple, Unknown]) -> sp.Basic:
        if not self.contains(node):
            return node
        if is_opaque(node, self.varying):
            kind = "function" if isinstance(node, AppliedUndef) else "operator"
            return _generic(node, kind, table)
        if isinstance(node, _BUILT_ON):
            return _generic(node, "built", table)
        args = [self.replace(a, table) for a in node.args]
        if isinstance(node, sp.core.relational.Relational):
            return node.func(*args, evaluate=False)
        return node.func(*args)


def _generic(node: sp.Basic, kind: str, table: dict[tuple, Unknown]) -> sp.Symbol:
    key = _key(node)
    if key not in table:
        table[key] = Unknown(sp.Dummy(f"unknown{len(table)}", real=True), node, kind)
    return table[key].symbol


def _key(node: sp.Basic) -> tuple:
    """Equal keys mean equal values for every meaning: the same head applied to
    arguments that are equal after canonical forms (f((x+1)^2) and f(x^2+2x+1))."""
    if is_opaque(node):
        return ("apply", node.func, tuple(_canonical(a) for a in node.args))
    return ("node", node)


def _canonical(arg: sp.Basic) -> sp.Basic:
    if arg.is_Atom or isinstance(arg, sp.Indexed) or has_unknown(arg):
        return arg
    done = limited(lambda: sp.cancel(sp.together(sp.expand(arg))), ARGUMENT_SECONDS)
    return arg if done is None else done


# --------------------------------------------------------------------------
# NAME = expression, with NAME given no meaning anywhere else
# --------------------------------------------------------------------------


def named_by_step(lhs: sp.Expr, rhs: sp.Expr, declared: set[sp.Basic]) -> sp.Basic | None:
    r"""The name a step ``NAME = expression`` introduces, if it is one.

    A side that is a bare name (a symbol, or one entry of a family) which the
    document neither declares nor defines (definitions are substituted before
    this) and which does not occur on the other side: the step gives NAME its
    meaning, as every reader takes ``a_1 = 1.2`` or ``x_{n+1} = \log(e^{x_n} -
    x_n)``; it claims no identity a value of NAME could break.  ``declared``:
    the symbols and family labels with a declaration in the context."""
    for name, other in ((lhs, rhs), (rhs, lhs)):
        if isinstance(name, sp.Indexed):
            if name.base.label in declared or name in other.atoms(sp.Indexed):
                continue
            return name
        if type(name) is sp.Symbol and name not in declared and name not in other.free_symbols:
            if name.is_integer:  # an index or a size is never a new quantity
                continue
            return name
    return None


# --------------------------------------------------------------------------
# A letter in two roles
# --------------------------------------------------------------------------


def two_roles(exprs: list[sp.Basic]) -> tuple[dict[str, str], set[sp.Basic]]:
    """Letters used in two roles in one step, and their plain occurrences.

    A value and a function (``v`` and ``v(t)``), one function with two arities
    (``f(x)`` and ``f(x, y)``), a family and a function (``x_i`` and ``x(t)``):
    the step does not say which meaning a use carries, so no counterexample may
    give the letter one of them."""
    values: dict[str, set[sp.Basic]] = {}
    families: dict[str, set[sp.Basic]] = {}
    heads: dict[str, set[int]] = {}
    hint_args: dict[str, str] = {}  # v -> "t" when v(t) is applied to plain variables
    for e in exprs:
        for s in e.free_symbols:
            if type(s) is sp.Symbol:
                # an entry z[2] of an instance is the family z, not the value z
                base, _, rest = s.name.partition("[")
                (families if rest else values).setdefault(base, set()).add(s)
        for ix in e.atoms(sp.Indexed):
            families.setdefault(ix.base.label.name, set()).add(ix)
        for node in sp.preorder_traversal(e):
            if isinstance(node, sp.Function) and is_opaque(node):
                heads.setdefault(_head_name(node), set()).add(len(node.args))
                if all(type(a) is sp.Symbol for a in node.args):
                    hint_args.setdefault(_head_name(node), ", ".join(a.name for a in node.args))
    roles: dict[str, str] = {}
    plain: set[sp.Basic] = set()
    for name, arities in sorted(heads.items()):
        shown = _pretty_name(name)
        uses = []
        if name in values:
            uses.append(f"a value {shown}")
        if name in families:
            uses.append(f"a family {shown}_i")
        uses += [f"a function of {n} argument{'s' if n != 1 else ''}" for n in sorted(arities)]
        if len(uses) > 1:
            roles[name] = f"{shown} is used as " + " and as ".join(uses)
            plain |= values.get(name, set()) | families.get(name, set())
            if name in values and name in hint_args:  # v and v(t): v probably varies with t
                roles[name] += f" (if {shown} varies with {hint_args[name]}, declare "
                roles[name] += f"`depends: {{{name}: {hint_args[name]}}}`)"
    return roles, plain


def _head_name(node: sp.Function) -> str:
    return getattr(node.func, "__name__", str(node.func))


# --------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------


def depends_message(blocking: list[Unknown], roles: dict[str, str]) -> str:
    """Why a disagreement is not a refutation, in words."""
    parts = []
    if blocking:
        shown = [u.text for u in blocking[:MAX_NAMED]]
        more = len(blocking) - len(shown)
        atoms = _and(shown + ([f"{more} more"] if more > 0 else []))
        parts.append(
            f"whether the sides agree depends on {atoms}, which the document never defines"
            + _kinds(blocking)
        )
    if roles:
        parts.append("; ".join(roles.values()) + ", so a counterexample would give it two meanings")
    return "not refuted: " + "; ".join(parts)


def _kinds(blocking: list[Unknown]) -> str:
    """`` (f and g are unknown functions)``: the heads behind the atoms."""
    functions: list[str] = []
    operators: list[str] = []
    for u in blocking:
        for node in sp.preorder_traversal(u.atom):
            if isinstance(node, sp.Function) and is_opaque(node):
                name = _pretty_name(_head_name(node))
                kind = functions if isinstance(node, AppliedUndef) else operators
                if name not in functions + operators:
                    kind.append(name)
    words = []
    if functions:
        plural = len(functions) > 1
        words.append(
            f"{_and(functions)} {'are unknown functions' if plural else 'is an unknown function'}"
        )
    if operators:
        plural = len(operators) > 1
        words.append(
            f"{_and(operators)} {'are operators' if plural else 'is an operator'} "
            "with no rules given"
        )
    return f" ({'; '.join(words)})" if words else ""


def _and(items: list[str]) -> str:
    if len(items) > MAX_NAMED + 1:
        items = items[:MAX_NAMED] + [f"{len(items) - MAX_NAMED} more"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class _Describer(StrPrinter):
    """Short one-line text for messages: γ(x_n, k), dL/dθ, f'(x^2)."""

    printmethod = "_derive_describe"  # not the objects' own _sympystr: x[n] is x_n here

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        base, _, rest = expr.name.partition("[")
        if rest.endswith("]"):  # an instance's entry z[1] is the reader's z_1
            index = rest[:-1].replace(", ", "")
            return f"{_pretty_name(base)}_{index if len(index) == 1 else '{' + index + '}'}"
        return _pretty_name(expr.name)

    def _print_Dummy(self, expr: sp.Dummy) -> str:
        return _pretty_name(expr.name)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = _pretty_name(str(expr.base.label))
        indices = [self._print(i) for i in expr.indices]
        joined = "".join(indices) if all(len(i) == 1 for i in indices) else ",".join(indices)
        return f"{base}_{joined}" if len(joined) == 1 else f"{base}_{{{joined}}}"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent == -1:
            return f"1/{self.parenthesize(base, 50)}"
        shown = self._print(exponent)
        shown = shown if len(shown) == 1 else "{" + shown + "}"
        return f"{self.parenthesize(base, 60)}^{shown}"

    def _print_Function(self, expr: sp.Function) -> str:
        name = _pretty_name(_head_name(expr))
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        variables = "".join(
            f"d{self._print(v)}" + (f"^{n}" if n != 1 else "") for v, n in expr.variable_count
        )
        order = sum(n for _, n in expr.variable_count)
        top = "d" + (f"^{order}" if order != 1 else "")
        return f"{top}{self._print(expr.expr)}/{variables}"

    def _print_Sum(self, expr: sp.Sum) -> str:
        limits = "".join(
            f"Σ_{{{self._print(v)}={self._print(lo)}}}^{{{self._print(hi)}}} "
            for v, lo, hi in reversed(expr.limits)
        )
        return f"{limits}{self.parenthesize(expr.function, 40)}"

    def _print_Subs(self, expr: sp.Subs) -> str:
        inner, variables, points = expr.args
        if isinstance(inner, sp.Derivative) and isinstance(inner.expr, sp.Function):
            primes = "'" * sum(n for _, n in inner.variable_count)
            head = _pretty_name(_head_name(inner.expr))
            return f"{head}{primes}({', '.join(self._print(p) for p in points)})"
        return super()._print_Subs(expr)


_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ",
    "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "ell": "ℓ",
}


def _pretty_name(name: str) -> str:
    return _GREEK.get(name, name)


def describe(e: sp.Basic) -> str:
    """e as one short line of text for a message."""
    try:
        return _Describer().doprint(e)
    except Exception:  # noqa: BLE001 - words for a message must never cost a verdict
        return str(e)

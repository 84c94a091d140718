"""Stage 2, second half: a chain's context in SymPy terms.

`context.py` validates what the user declared (as LaTeX strings); this module
turns it, plus the definitions a document has made so far, into the three
things later stages need: a `Notation` for the parser, a `Domain` for the
engine, and `Definitions` that are substituted before a step is decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.context import ContextSpec
from derive.domain import Domain, SymbolDomain
from derive.latex import LatexError, Notation, free_symbols, parse_latex
from derive.summation import rename_limits

MAX_EXPANSION_ROUNDS = 12  # definitions referring to definitions, a → σ(z) → z → wx+b

# `\sigma(z)`, `f(x, y)`, `H(p, q)`: the head of a function definition.
FUNCTION_HEAD = re.compile(
    r"^\s*(\\?[A-Za-z]+)\s*\(\s*((?:[A-Za-z]|\\[A-Za-z]+)(?:\s*,\s*(?:[A-Za-z]|\\[A-Za-z]+))*)\s*\)\s*$"
)
# `L`, `a`, `\ell`: a bare symbol; `a_j`, `a_{j}`, `y_{ij}`: an indexed family.
SYMBOL_HEAD = re.compile(r"^\s*(\\?[A-Za-z]+)\s*$")
# `\mathrm{LSE}`, `\operatorname{KL}`: a multi-letter name in roman type.
ROMAN_HEAD = re.compile(r"^\s*\\(?:mathrm|operatorname)\s*\{\s*([A-Za-z]+)\s*\}\s*$")
INDEXED_HEAD = re.compile(r"^\s*(\\?[A-Za-z]+)\s*_\s*(?:\{\s*([A-Za-z,\s]+?)\s*\}|([A-Za-z]))\s*$")


def bare(name: str) -> str:
    return name[1:] if name.startswith("\\") else name


@dataclass(frozen=True)
class Head:
    """What the left side of a definition names."""

    kind: str  # "symbol" | "indexed" | "function"
    name: str  # without backslash
    params: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "function":
            return f"{self.name}({', '.join(self.params)})"
        if self.kind == "indexed":
            return f"{self.name}_{{{''.join(self.params)}}}"
        return self.name


def definition_head(latex: str) -> Head | None:
    """The head a chain's first expression would define, if it is one."""
    if m := FUNCTION_HEAD.match(latex):
        params = tuple(bare(p.strip()) for p in m[2].split(","))
        return Head("function", bare(m[1]), params)
    if m := ROMAN_HEAD.match(latex):
        return Head("symbol", m[1])
    if m := SYMBOL_HEAD.match(latex):
        name = bare(m[1])
        if name in ("e", "pi"):
            return None
        return Head("symbol", name)
    if m := INDEXED_HEAD.match(latex):
        inner = (m[2] or m[3] or "").replace(",", "").replace(" ", "")
        if inner and len(inner) <= 2:
            return Head("indexed", bare(m[1]), tuple(inner))
    return None


@dataclass(frozen=True)
class SourceDefinition:
    """A definition as written (from the context or the document)."""

    head: Head
    body: str  # LaTeX
    origin: str  # "context" or "path:line"


@dataclass
class Definition:
    head: Head
    params: tuple[sp.Symbol, ...]
    body: sp.Expr


@dataclass
class Environment:
    """Everything needed to read and decide the steps of one chain."""

    notation: Notation
    domain: Domain
    definitions: dict[tuple[str, str], Definition] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # unreadable context entries
    # rewrite rules the context declares (`substitutions:`), applied as written
    substitutions: list[tuple[sp.Basic, sp.Basic]] = field(default_factory=list)
    # latex -> (as parsed, definitions substituted); filled by derive.steps
    readings: dict[tuple[str, bool], tuple[sp.Basic, sp.Basic]] = field(default_factory=dict)
    # quantities declared to vary (`depends: {v: t}`) -> their variables: v reads as v(t)
    depends: dict[str, tuple[sp.Symbol, ...]] = field(default_factory=dict)

    def parse(self, latex: str, *, relation: bool = False) -> sp.Basic:
        return parse_latex(latex, self.notation, relation=relation)


# --------------------------------------------------------------------------
# Building the environment
# --------------------------------------------------------------------------


def assumptions_for(domain: SymbolDomain) -> dict[str, bool]:
    """SymPy assumptions implied by a declared domain (they let simplify use them)."""
    if domain.kind == "values":
        values = domain.values
        out = {"real": True}
        if values and min(values) >= 0:
            out["nonnegative"] = True
        if values and all(v.denominator == 1 for v in values):
            out["integer"] = True
        return out
    out = {"real": True}
    if domain.kind == "integer":
        out["integer"] = True
    if domain.lo is not None and (domain.lo > 0 or (domain.lo == 0 and domain.lo_open)):
        out["positive"] = True
    elif domain.lo is not None and domain.lo >= 0:
        out["nonnegative"] = True
    if domain.hi is not None and (domain.hi < 0 or (domain.hi == 0 and domain.hi_open)):
        out["negative"] = True
    elif domain.hi is not None and domain.hi <= 0:
        out["nonpositive"] = True
    return out


def build_environment(
    spec: ContextSpec, document_definitions: list[SourceDefinition]
) -> Environment:
    sizes = {bare(name) for name in spec.sizes}
    size_symbols = {name: sp.Symbol(name, integer=True, positive=True) for name in sizes}
    indices: dict[str, sp.Expr] = {}
    for index, size in spec.indices.items():
        indices[bare(index)] = (
            sp.Integer(size) if isinstance(size, int) else size_symbols[bare(size)]
        )

    context_definitions = [
        SourceDefinition(Head("function", bare(f.name), f.params), f.body, "context")
        for f in spec.functions.values()
        if f.body is not None
    ]
    for name, body in spec.define.items():
        head = definition_head(name)
        if head is None:
            raise LatexError(f"cannot define {name!r}: not a symbol, indexed name or function head")
        context_definitions.append(SourceDefinition(head, body, "context"))
    all_definitions = context_definitions + document_definitions

    functions = {bare(f.name) for f in spec.functions.values()}
    functions |= {d.head.name for d in all_definitions if d.head.kind == "function"}
    names = {d.head.name for d in all_definitions}
    notation = Notation(
        symbols={bare(n): assumptions_for(d) for n, d in spec.symbols.items()},
        functions=functions,
        indices=indices,
        sizes=sizes,
        names=names - functions,
        log_base=spec.log,
    )
    domain = Domain(
        sizes={size_symbols[bare(n)]: rng for n, rng in spec.sizes.items()},
        indices={notation.symbol(i): bound for i, bound in indices.items()},
    )
    for name, dom in spec.symbols.items():
        domain.symbols[notation.symbol(bare(name))] = dom
        domain.symbols[notation.indexed_base(bare(name)).label] = dom
    env = Environment(notation, domain)
    for name, variables in spec.depends.items():
        quantity = bare(name)
        env.depends[quantity] = tuple(notation.symbol(bare(v)) for v in variables)
        declared = spec.symbols.get(name)
        if declared is None or declared.kind == "real":
            # any function of its variables: a claim about it holds for all of them
            env.domain.varying[quantity] = len(variables)

    for text in spec.constraints:
        env.domain.constraints.append(_parse_relation(env, text, "constraint"))
    for text in spec.cases:
        env.domain.cases.append(_parse_relation(env, text, "case"))
    for lhs, rhs in spec.substitutions:
        try:
            env.substitutions.append((env.parse(lhs), env.parse(rhs)))
        except LatexError as exc:
            env.problems.append(f"substitution {lhs} = {rhs}: {exc}")
    for rule in env.substitutions:
        env.domain.mentioned |= {s for side in rule for s in side.free_symbols}
    for source in all_definitions:
        try:
            definition = parse_definition(env, source)
        except LatexError as exc:
            # The definition stays unread; steps that use the name cannot be
            # decided, which is reported where the definition is written.
            env.problems.append(f"definition of {source.head.describe()} ({source.origin}): {exc}")
            continue
        env.definitions[(definition.head.kind, definition.head.name)] = definition
    return env


def _parse_relation(env: Environment, text: str, what: str) -> sp.Basic:
    try:
        return env.parse(text, relation=True)
    except LatexError as exc:
        raise LatexError(f"{what} {text!r}: {exc}") from exc


def parse_definition(env: Environment, source: SourceDefinition) -> Definition:
    head = source.head
    params = tuple(env.notation.symbol(p) for p in head.params)
    body = rename_bound(env.parse(source.body))
    return Definition(head, params, body)


def rename_bound(expr: sp.Basic) -> sp.Basic:
    """Give every summation index in a definition body a primed name, so that
    substituting the body where the same letter is free (L = -Σ_j y_j ln a_j
    inside ∂L/∂z_j) cannot capture it."""

    def visit(node: sp.Basic) -> sp.Basic:
        if isinstance(node, (sp.Sum, sp.Product)):
            fresh = {
                var: sp.Symbol(f"{var.name}'", **var.assumptions0) for var, *_ in node.limits
            }
            body = visit(node.function).xreplace(fresh)
            return node.func(body, *rename_limits(node.limits, fresh))
        if not node.args or isinstance(node, (sp.Indexed, sp.IndexedBase)) and not node.args:
            return node
        if isinstance(node, sp.Indexed):
            return node.func(node.base, *[visit(a) for a in node.indices])
        return node.func(*[visit(a) for a in node.args])

    return visit(expr)


# --------------------------------------------------------------------------
# Substituting definitions
# --------------------------------------------------------------------------


def apply_substitutions(expr: sp.Basic, env: Environment) -> sp.Basic:
    """The context's rewrite rules (`substitutions: ['x^2 = y']`), each applied
    wherever its left side occurs; they are assumptions the user states."""
    for lhs, rhs in env.substitutions:
        expr = expr.subs(lhs, rhs)
    return expr


def expand_definitions(expr: sp.Basic, env: Environment) -> sp.Basic:
    """Replace every defined name by its definition, to a fixed point.

    Derivatives are taken with respect to the variable *as written*: in
    ∂L/∂a_q the name a is kept as an independent variable while L is
    differentiated, and only then replaced by its definition.
    """
    expr = _vary(expr, env)
    for _ in range(MAX_EXPANSION_ROUNDS):
        new = _vary(_expand_once(expr, env, frozenset()), env)
        if new == expr:
            return new
        expr = new
    raise LatexError("definitions refer to each other in a cycle (or nest more than 12 deep)")


def _vary(expr: sp.Basic, env: Environment) -> sp.Basic:
    """A quantity declared to vary (`depends: {v: t}`) is the function v(t)
    wherever it is written, so d/dt(v^2/2) = v dv/dt compares like with like."""
    if not env.depends:
        return expr
    found = {
        s: env.notation.function(s.name)(*env.depends[s.name])
        for s in expr.free_symbols
        if type(s) is sp.Symbol and s.name in env.depends
    }
    return expr.xreplace(found) if found else expr


def _expand_once(node: sp.Basic, env: Environment, keep: frozenset[str]) -> sp.Basic:
    defs = env.definitions
    if isinstance(node, sp.Symbol):
        definition = defs.get(("symbol", node.name))
        if definition is not None and node.name not in keep:
            return definition.body
        return node
    if isinstance(node, sp.Indexed):
        indices = [_expand_once(i, env, keep) for i in node.indices]
        name = str(node.base.label)
        definition = defs.get(("indexed", name))
        if definition is not None and name not in keep and len(indices) == len(definition.params):
            return definition.body.subs(dict(zip(definition.params, indices, strict=True)))
        return node.base[tuple(indices)]
    if isinstance(node, sp.Derivative):
        variables = [var for var, _ in node.variable_count]
        held = keep | {_variable_name(v) for v in variables}
        inner = node.expr
        for _ in range(MAX_EXPANSION_ROUNDS):
            new_inner = _expand_once(inner, env, held)
            if new_inner == inner:
                break
            inner = new_inner
        inner = _dependent_names(inner, variables, env)
        derivative = sp.Derivative(inner, *node.variable_count)
        # Evaluate now, while the variable is still independent: afterwards its
        # own definition is substituted.  (Indexed variables differentiate
        # entries of the same family through KroneckerDelta: a[j'] by a[q].)
        return derivative.doit(deep=False)
    if isinstance(node, AppliedUndef):
        args = [_expand_once(a, env, keep) for a in node.args]
        definition = defs.get(("function", node.func.__name__))
        if definition is not None and len(args) == len(definition.params):
            return definition.body.subs(dict(zip(definition.params, args, strict=True)))
        return node.func(*args)
    if not node.args:
        return node
    args = [_expand_once(a, env, keep) for a in node.args]
    if isinstance(node, sp.core.relational.Relational):
        # keep an equation an equation: e^{-t} = -1 must not collapse to False
        return node.func(*args, evaluate=False)
    return node.func(*args)


def _dependent_names(inner: sp.Basic, variables: list[sp.Basic], env: Environment) -> sp.Basic:
    """The body of a derivative, with the names that must vary with its variable
    made unknown functions of it.

    ∂L/∂w or ∂(log L)/∂θ with L never defined: L is an unknown function of the
    variable, not a constant (whose derivative would silently be 0, so that a
    wrong step could be proved).  That holds wherever the body, as written, does
    not mention the variable at all: nobody differentiates a constant on purpose.
    Where the body does mention it (d/dx (a x^2)), the other letters are
    constants, as a reader takes them.  Declared data (a symbol or family with
    a domain in the context, a size, an index) is always a constant; a quantity
    that varies is declared with `depends:`."""
    if any(_mentions(inner, var) for var in variables):
        return inner
    names = [n for n in _letters(inner) if n not in variables and not _declared_data(n, env)]
    if not names:
        return inner  # only constants: the derivative is 0, and rightly so
    return inner.xreplace({n: _unknown_function(n, variables) for n in names})


def _mentions(e: sp.Basic, var: sp.Basic) -> bool:
    if isinstance(var, sp.Indexed):  # a_{j'} varies with a_q (through a Kronecker delta)
        return any(ix.base == var.base for ix in e.atoms(sp.Indexed))
    return var in e.free_symbols


def _letters(e: sp.Basic) -> list[sp.Basic]:
    """Plain names and family entries of e; indices and sizes are not quantities."""
    as_index = {s for ix in e.atoms(sp.Indexed) for i in ix.indices for s in i.free_symbols}
    labels = {ix.base.label for ix in e.atoms(sp.Indexed)}
    plain = [
        s
        for s in e.free_symbols
        if type(s) is sp.Symbol and s not in as_index and s not in labels and not s.is_integer
    ]
    return sorted(plain, key=str) + sorted(e.atoms(sp.Indexed), key=str)


def _declared_data(name: sp.Basic, env: Environment) -> bool:
    notation = env.notation
    key = str(name.base.label) if isinstance(name, sp.Indexed) else str(name)
    return key in notation.symbols or key in notation.sizes or key in notation.indices


def _unknown_function(name: sp.Basic, variables: list[sp.Basic]) -> sp.Basic:
    if isinstance(name, sp.Indexed):
        return sp.Function(str(name.base.label))(*name.indices, *variables)
    return sp.Function(str(name))(*variables)


def _variable_name(var: sp.Basic) -> str:
    if isinstance(var, sp.Indexed):
        return str(var.base.label)
    return str(var)


def fold_definitions(expr: sp.Basic, env: Environment) -> sp.Basic:
    """Evidence in the reader's names: put defined symbols back (wx+b → z,
    1/(1+e^{-z}) → a) where their expansions appear in a residual or ratio.

    Only for display; innermost definitions are folded first."""
    symbols = [d for d in env.definitions.values() if d.head.kind == "symbol"]
    expansions = []
    for definition in symbols:
        name = env.notation.symbol(definition.head.name)
        try:
            full = expand_definitions(name, env)
        except LatexError:
            continue
        if full.free_symbols and not full.has(sp.Sum, sp.Derivative, AppliedUndef):
            expansions.append((sp.count_ops(full), name, full))
    expansions.sort(key=lambda entry: entry[0])
    folded_bodies: list[tuple[sp.Symbol, sp.Basic]] = []
    for _, name, full in expansions:
        for earlier, body in folded_bodies:
            full = full.subs(body, earlier)
        folded_bodies.append((name, full))
        if full.is_Atom:
            continue
        expr = expr.subs(full, name)
        if isinstance(full, sp.Pow) and full.exp == -1:
            expr = expr.subs(full.base, 1 / name)
    return expr


# --------------------------------------------------------------------------
# Index hygiene (design §5): free indices and indices bound twice
# --------------------------------------------------------------------------


def index_symbols(expr: sp.Basic, env: Environment) -> set[sp.Symbol]:
    """Symbols that act as indices: declared ones, summation variables, and
    anything used inside an Indexed subscript."""
    declared = set(env.domain.indices)
    used: set[sp.Symbol] = set()
    for indexed in expr.atoms(sp.Indexed):
        for index in indexed.indices:
            used |= index.free_symbols
    for big in expr.atoms(sp.Sum, sp.Product):
        used |= {var for var, *_ in big.limits}
    return (declared | used) - set(env.domain.sizes)


def free_indices(expr: sp.Basic, env: Environment, indices: set[sp.Symbol]) -> set[sp.Symbol]:
    return free_symbols(expr) & indices


def bound_and_free(expr: sp.Basic) -> set[sp.Symbol]:
    """Indices bound by a sum that also occur free in the same expression."""
    clashes: set[sp.Symbol] = set()
    free = free_symbols(expr)
    for big in expr.atoms(sp.Sum, sp.Product):
        for var, *_ in big.limits:
            if var in free:
                clashes.add(var)
    return clashes

"""The units of work that run inside the killable worker.

Everything that touches document text or SymPy algebra happens here, so the
hard time bound and the memory guard of derive/worker.py cover it: reading a
chain's expressions, and deciding one step.  Tasks and outcomes are plain
picklable data; each worker keeps a small cache of built environments.
"""

from __future__ import annotations

import hashlib
import pickle
import traceback
from dataclasses import dataclass, field

import sympy as sp

from derive.context import ContextSpec
from derive.latex import LatexError, free_symbols
from derive.printing import reader_evidence
from derive.resolve import (
    Environment,
    SourceDefinition,
    apply_substitutions,
    bound_and_free,
    build_environment,
    expand_definitions,
    fold_definitions,
    free_indices,
    index_symbols,
)
from derive.second_opinion import disagreement

_ENVIRONMENTS: dict[str, Environment] = {}
OPINION_SECONDS = 0.5  # for the second reading of one expression (measured: ~10 ms each)
PLEASE_REPORT = (
    "this is a bug in derive, not a verdict on the document: please report it with the "
    "document; `derive check -v` shows the traceback"
)


def internal_error(description: str) -> str:
    """The one-line message of the verdict ``error``."""
    return f"internal error: {description} ({PLEASE_REPORT})"


def _description(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _trace(exc: BaseException) -> str:
    try:
        text = "".join(traceback.format_exception(exc, limit=-40))
    except Exception:  # noqa: BLE001 - formatting must never fail the result
        return type(exc).__name__
    return text if len(text) <= 20000 else "…" + text[-20000:]


def environment(spec: ContextSpec, definitions: list[SourceDefinition]) -> Environment:
    key = hashlib.sha256(pickle.dumps((spec, definitions))).hexdigest()
    env = _ENVIRONMENTS.get(key)
    if env is None:
        if len(_ENVIRONMENTS) > 64:
            _ENVIRONMENTS.clear()
        env = _ENVIRONMENTS[key] = build_environment(spec, definitions)
    return env


def warm_up() -> None:
    """A fresh worker's one-time costs, paid before its first task is timed.

    The second-opinion parser loads its ANTLR tables on first use, and SymPy and
    the engine import lazily on their first cancel or evaluation: a few tenths
    of a second that would otherwise count against the first chain's bound (and
    make a small --timeout fail that chain's reading).  Best effort: a failure
    here must not disable the worker."""
    sigmoid, other = "\\frac{1}{1+e^{-t}}", "\\frac{e^{t}}{1+e^{t}}"
    try:
        read_chain(ContextSpec(), [], [sigmoid, other], False, False)
        decide_step(StepTask(ContextSpec(), [], sigmoid, other, "=", 0, 2.0))
    except Exception:  # noqa: BLE001 - the first real task will meet the problem itself
        pass


# --------------------------------------------------------------------------
# Reading a chain
# --------------------------------------------------------------------------


@dataclass
class ReadOutcome:
    ok: bool
    message: str = ""
    column: int = 0
    fragment: str = ""
    error: bool = False  # the reader itself failed (a bug): the verdict is `error`
    traceback: str = ""


@dataclass
class ChainReading:
    items: list[ReadOutcome]
    context_problems: list[str] = field(default_factory=list)
    second_opinions: list[str] = field(default_factory=list)  # readings that disagree


def read_chain(
    spec: ContextSpec,
    definitions: list[SourceDefinition],
    items: list[str],
    equations: bool,
    skip_first: bool,
) -> ChainReading:
    """Parse every item of a chain; report which ones cannot be read and why.

    `skip_first`: the first item is a definition head, read by its own rule.
    """
    from derive.engine.limits import limited  # imported in the worker, after the fork

    try:
        env = environment(spec, definitions)
    except LatexError as exc:
        failed = ReadOutcome(False, f"context: {exc}")
        return ChainReading([failed for _ in items], [str(exc)])
    except MemoryError:
        raise  # the memory limit: the worker reports it
    except Exception as exc:  # noqa: BLE001 - a bug: every item says so, nothing is guessed
        broken = ReadOutcome(False, internal_error(_description(exc)), error=True,
                             traceback=_trace(exc))
        return ChainReading([broken for _ in items])
    outcomes = []
    opinions = []
    for position, latex in enumerate(items):
        if skip_first and position == 0:
            outcomes.append(ReadOutcome(True))
            continue
        try:
            ours = env.parse(latex, relation=equations)
            outcomes.append(ReadOutcome(True))
        except LatexError as exc:
            outcomes.append(ReadOutcome(False, exc.message, exc.column, exc.fragment))
            continue
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in the reader costs this item only
            outcomes.append(
                ReadOutcome(False, internal_error(_description(exc)), error=True,
                            traceback=_trace(exc))
            )
            continue
        if equations:
            continue
        # notes only: a second reading that runs long costs its note, never the chain
        note = limited(lambda latex=latex, ours=ours: disagreement(latex, ours), OPINION_SECONDS)
        if note:
            opinions.append(f"expression {position + 1}: {note}")
    return ChainReading(outcomes, list(env.problems), opinions)


# --------------------------------------------------------------------------
# Deciding a step
# --------------------------------------------------------------------------


@dataclass
class StepTask:
    spec: ContextSpec
    definitions: list[SourceDefinition]
    lhs: str
    rhs: str
    relation: str  # "=", "approx", "equations"
    seed: int
    budget: float
    # the step is a block's only claim, `lhs = rhs` on its own (not a row of a derivation)
    standalone: bool = False


@dataclass
class StepOutcome:
    verdict: str
    method: str = ""
    residual: str | None = None
    ratio: str | None = None
    counterexample: dict[str, str] | None = None
    values: dict[str, str] | None = None
    message: str = ""
    relation: str = "="
    # the evidence in the reader's notation (derive/printing.py): LaTeX name -> value,
    # and the message as ("text" | "math", …) pieces
    counterexample_latex: dict[str, str] | None = None
    message_parts: list[tuple[str, str]] | None = None
    traceback: str = ""  # verdict "error" only


def decide_step(task: StepTask) -> StepOutcome:
    """One step's verdict; an exception in the reader or the engine is the verdict
    ``error`` (a bug to report), never a pass."""
    try:
        return _decide_step(task)
    except MemoryError:
        raise  # the memory limit is a documented limit: the worker reports it
    except Exception as exc:  # noqa: BLE001 - every other exception is a bug in derive
        return StepOutcome(
            "error",
            method="internal error",
            message=internal_error(_description(exc)),
            traceback=_trace(exc),
            relation=_relation_word(task.relation),
        )


def _relation_word(relation: str) -> str:
    return {"equations": "implies", "approx": "approx"}.get(relation, "=")


def _decide_step(task: StepTask) -> StepOutcome:
    from derive import engine  # imported in the worker, after the fork

    equations = task.relation == "equations"
    try:
        env = environment(task.spec, task.definitions)
        lhs, lhs_full = _read(env, task.lhs, equations)
        rhs, rhs_full = _read(env, task.rhs, equations)
    except LatexError as exc:
        return StepOutcome("unparsed", message=str(exc))
    except _Undefinable as exc:
        return StepOutcome("undecided", message=str(exc))
    hygiene = index_hygiene(lhs, rhs, env)

    if equations:
        decision = engine.decide_implication(
            lhs_full, rhs_full, env.domain, seed=task.seed, budget=task.budget
        )
        relation = "implies"
        if decision.verdict in ("proved", "bounded", "numeric") and "equivalen" in decision.message:
            relation = "equivalent"
    elif task.relation == "approx":
        digits = _decimal_places(task.rhs)
        decision = engine.decide_approx(lhs_full, digits, rhs_full, env.domain)
        relation = "approx"
    else:
        decision = engine.decide_equal(
            lhs_full, rhs_full, env.domain, seed=task.seed, budget=task.budget
        )
        relation = "="

    if decision.verdict == "refuted" and task.standalone and relation == "=" and not hygiene:
        statement = _statement(lhs_full, rhs_full, env.notation.declared)
        if statement:
            return StepOutcome("undecided", method="a statement", message=statement,
                               relation=relation)
    message = decision.message
    if decision.verdict == "refuted" and hygiene:
        message = f"{hygiene}. {message}".strip() if message else hygiene
    shown = reader_evidence(
        decision,
        message,
        (lhs_full, rhs_full),
        lambda expr: _readable(expr, env),
        _natural_log(env),
    )
    return StepOutcome(
        verdict=decision.verdict,
        method=decision.method,
        residual=shown.residual,
        ratio=shown.ratio,
        counterexample=decision.counterexample,
        values=decision.values,
        message=message,
        relation=relation,
        counterexample_latex=shown.counterexample,
        message_parts=shown.message,
    )


def _names(expr: sp.Basic) -> set[str]:
    """The document's names in an expression: x_i counts as x and i."""
    names: set[str] = set()
    for atom in free_symbols(expr):
        names.add(str(atom).split("[", 1)[0])
    for entry in expr.atoms(sp.Indexed):
        names.add(str(entry.base.label))
    return names


def _statement(lhs: sp.Basic, rhs: sp.Basic, declared: frozenset[str]) -> str:
    r"""Why an equation on its own between different quantities is not refuted.

    `\sum_k \alpha_k = 1`, `\sigma^2 = \frac1n\sum_i (x_i - M)^2`, `0 = w\sum x_i^2 - …`:
    written alone, an equation whose sides are about different names states a condition,
    a definition or a result the prose explains; a reader does not read it as an identity
    in every value of those names.  (An identity, `(a+b)^2 = a^2 + b^2`, is about the
    same names on both sides and is still refuted, and so is an equation whose extra names
    the context declares.)"""
    from derive.engine.meaning import describe  # in the worker, after the fork

    left, right = _names(lhs), _names(rhs)
    if left == right or (left ^ right) <= declared:
        # names the context declares have a meaning: `\sigma(-t) = \sigma(-y)` with t and
        # y declared is a claim about them (a slip), not a statement of a new fact
        return ""
    only = [
        f"only the {side} side has {', '.join(describe(sp.Symbol(n)) for n in sorted(names))}"
        for side, names in (("left", left - right), ("right", right - left))
        if names
    ]
    return (
        "not refuted: written on its own, this equation relates different quantities ("
        + "; ".join(only)
        + "), so it states a condition or a definition rather than an identity; "
        "it is checked once the document gives those names a meaning"
    )


def _natural_log(env: Environment) -> str:
    # the natural log is written as the document writes it: \log, unless \log means base 10
    notation = getattr(env, "notation", None)
    return r"\log" if getattr(notation, "log_base", "natural") == "natural" else r"\ln"


class _Undefinable(Exception):
    """The definitions in force cannot be substituted (a cycle, too deep)."""


def _read(env: Environment, latex: str, equations: bool) -> tuple[sp.Basic, sp.Basic]:
    """An expression as written and with every definition substituted.

    Cached per environment: each line of a chain is the right side of one step
    and the left side of the next, and culprit checks read it a third time."""
    key = (latex, equations)
    if key not in env.readings:
        parsed = env.parse(latex, relation=equations)
        try:
            # rules apply to the lines as written and again once definitions are in
            expanded = expand_definitions(apply_substitutions(parsed, env), env)
            env.readings[key] = (parsed, apply_substitutions(expanded, env))
        except LatexError as exc:
            raise _Undefinable(str(exc)) from exc
    return env.readings[key]


def index_hygiene(lhs: sp.Basic, rhs: sp.Basic, env: Environment) -> str:
    """Notation slips with indices, said in words (design §5)."""
    indices = index_symbols(lhs, env) | index_symbols(rhs, env)
    notes = []
    for side, expr in (("left", lhs), ("right", rhs)):
        for index in sorted(bound_and_free(expr), key=str):
            notes.append(
                f"index {index} is used outside the sum that binds it (on the {side} side)"
            )
    left, right = free_indices(lhs, env, indices), free_indices(rhs, env, indices)
    for index in sorted(right - left, key=str):
        notes.append(
            f"index {index} is free on the right but not on the left "
            f"(a chain rule written without its sum over {index})"
        )
    for index in sorted(left - right, key=str):
        notes.append(f"index {index} is free on the left but not on the right")
    return "; ".join(notes)


def _readable(expr: sp.Basic | None, env: Environment) -> sp.Basic | None:
    """Evidence as the reader wrote it: defined names folded back in (the names
    themselves are printed in the document's notation by derive/printing.py)."""
    if expr is None:
        return None
    try:
        return fold_definitions(expr, env)
    except Exception:  # display only: never let it cost a verdict
        return expr


def _decimal_places(latex: str) -> int:
    text = latex.strip()
    if "." in text:
        return len(text.split(".")[-1].strip())
    return 0

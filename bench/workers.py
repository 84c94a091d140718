"""Top-level functions that run inside derive.worker.WorkerPool workers (picklable by name)."""

from __future__ import annotations

import time

import sympy as sp


def naive_step(task) -> dict:
    """The baseline a user would write, on exactly derive's expressions.

    Both sides are read with derive's own parser in the chain's environment and
    definitions are substituted (expand_definitions), so derive and the baseline
    start from identical SymPy expressions.  Then `simplify(lhs - rhs) == 0`:
    zero → "proved", anything else → "not equal".  Equation steps (one equation
    follows from the previous) have no `lhs - rhs`; for them the baseline is the
    equally naive "the residuals differ by a nonzero constant factor, or solving
    both for a shared symbol gives the same solutions".
    """
    from derive.latex import LatexError
    from derive.resolve import expand_definitions
    from derive.steps import environment

    start = time.perf_counter()
    try:
        env = environment(task.spec, task.definitions)
        equations = task.relation == "equations"
        lhs = expand_definitions(env.parse(task.lhs, relation=equations), env)
        rhs = expand_definitions(env.parse(task.rhs, relation=equations), env)
    except LatexError as exc:
        return {"verdict": "unparsed", "residual": str(exc)[:80], "read": 0.0, "decide": 0.0}
    read = time.perf_counter() - start
    start = time.perf_counter()
    try:
        if equations:
            verdict, residual = _naive_equations(lhs, rhs)
        else:
            diff = sp.simplify(lhs - rhs)
            verdict = "proved" if diff == 0 else "not equal"
            residual = "" if diff == 0 else _short(diff)
    except Exception as exc:  # noqa: BLE001 - simplify crashes are part of the baseline
        verdict, residual = "error", f"{type(exc).__name__}: {exc}"[:80]
    return {"verdict": verdict, "residual": residual, "read": read,
            "decide": time.perf_counter() - start}


def _naive_equations(a: sp.Basic, b: sp.Basic) -> tuple[str, str]:
    ra, rb = a.lhs - a.rhs, b.lhs - b.rhs
    if sp.simplify(ra - rb) == 0:
        return "proved", ""
    quotient = sp.simplify(ra / rb)
    if quotient.is_number and quotient != 0:
        return "proved", ""
    for s in sorted(ra.free_symbols & rb.free_symbols, key=str):
        sa, sb = sp.solve(a, s), sp.solve(b, s)
        if sa and len(sa) == len(sb) and all(
            any(sp.simplify(x - y) == 0 for y in sb) for x in sa
        ):
            return "proved", ""
    return "not equal", _short(quotient)


def _short(expr: sp.Basic) -> str:
    text = str(expr)
    return text if len(text) <= 60 else text[:59] + "…"


def warm_naive() -> bool:
    """First-call lazy imports of simplify, paid outside the measured steps."""
    x = sp.Symbol("x")
    sp.simplify(sp.exp(x) / (1 + sp.exp(x)) - 1 / (1 + sp.exp(-x)))
    return True


def math_verify_step(lhs: str, rhs: str) -> dict:
    """math_verify.verify(parse($lhs$), parse($rhs$)) with the library's defaults,
    except that its SIGALRM timeouts are off (they need the main thread); the
    worker pool's hard bound replaces them."""
    from math_verify import parse, verify

    start = time.perf_counter()
    gold = parse(f"${lhs}$", parsing_timeout=None)
    target = parse(f"${rhs}$", parsing_timeout=None)
    parsed = time.perf_counter() - start
    ok = verify(gold, target, timeout_seconds=None)
    return {
        "verdict": "equal" if ok else "not equal",
        "parsed": [str(g) for g in gold[:1]] + [str(t) for t in target[:1]],
        "parse": parsed,
        "decide": time.perf_counter() - start - parsed,
    }


def warm_math_verify() -> bool:
    import logging
    import warnings

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    math_verify_step("\\frac{1}{1+e^{-t}}", "\\frac{e^t}{1+e^t}")
    return True


def warm_derive() -> bool:
    """derive's own worker warm-up, plus one refuted step (evidence, shrinking), so
    that first-call imports are not charged to a real step."""
    from derive.context import ContextSpec
    from derive.steps import StepTask, decide_step, warm_up

    warm_up()
    decide_step(StepTask(ContextSpec(), [], "(x+1)^2", "x^2+2x", "=", 0, 3.0))
    return True

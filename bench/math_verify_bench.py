"""math-verify: `math_verify.verify(parse($lhs$), parse($rhs$))` on the same step pairs.

The LaTeX is passed as written in the documents (wrapped in `$…$`); math-verify
knows nothing of the documents' definitions (σ, a, z = wx+b, …), domains or
sizes, which is exactly what a user running it on the note would get.  Each
call runs in a killable worker; math-verify's own SIGALRM timeouts need the main
thread, so they are off and the pool's bound (12 s ≈ its 5 s parse + 5 s verify
defaults) replaces them.  A killed call counts as "timeout".
"""

from __future__ import annotations

from collections import Counter

from bench.common import Section, Timer, derivation_steps, fmt_ratio, fmt_s, short

NAME = "math-verify"
TIMEOUT = 12.0


def available() -> str:
    """'' when math-verify imports next to derive's pinned antlr runtime, else why not."""
    try:
        from importlib.metadata import version

        import math_verify  # noqa: F401

        antlr = version("antlr4-python3-runtime")
        if antlr != "4.11.1":
            return f"antlr4-python3-runtime is {antlr}, derive pins 4.11.1"
        return ""
    except Exception as exc:  # noqa: BLE001 - report, don't fail
        return f"math-verify cannot be imported ({type(exc).__name__}: {exc}); " \
               "install it with `pip install -e '.[bench]'`"


def run(quick: bool) -> Section:
    why = available()
    if why:
        return Section(NAME, "math-verify 0.9.0 on the same steps", [{"skipped": why}],
                       f"Skipped: {why}.", targets=[])
    from bench import engine_vs_naive
    from bench.workers import math_verify_step, warm_math_verify
    from derive.worker import WorkerPool

    cases, _ = derivation_steps()
    derive_results = engine_vs_naive.derive_results(cases)
    mv: list[dict] = []
    with Timer() as t, WorkerPool(jobs=1, timeout=TIMEOUT) as pool:
        pool.run(warm_math_verify, [()])
        for case in cases:
            r = pool.run(math_verify_step, [(case.task.lhs, case.task.rhs)], timeout=TIMEOUT)[0]
            if r.ok:
                mv.append({**r.value, "seconds": r.seconds})
            else:
                mv.append({"verdict": "timeout" if r.timed_out else "error",
                           "seconds": r.seconds, "parsed": [r.error[:60]]})

    rows, agreement = [], Counter()
    for case, d, m in zip(cases, derive_results, mv, strict=True):
        false_step = d["verdict"] == "refuted" or case.expected == "refuted"
        holds = d["verdict"] in ("proved", "bounded", "numeric")
        if m["verdict"] == "equal":
            kind = "false EQ (step is wrong)" if false_step else "agrees (equal)"
        elif false_step:
            kind = "agrees (not equal)"
        else:
            kind = "false NE (step holds)" if holds else "?"
        agreement[kind] += 1
        rows.append({
            "step": case.where, "rhs": short(case.task.rhs, 30),
            "derive": d["verdict"], "derive time": fmt_s(d["seconds"]),
            "math-verify": m["verdict"], "mv time": fmt_s(m["seconds"]), "reading": kind,
            "mv parsed (lhs; rhs)": short("; ".join(m.get("parsed", [])), 44),
        })
    d_total = sum(d["seconds"] for d in derive_results)
    m_total = sum(m["seconds"] for m in mv)
    summary_rows = [{
        "steps": len(cases), "derive total": fmt_s(d_total), "math-verify total": fmt_s(m_total),
        "RATIO math-verify/derive": fmt_ratio(m_total / d_total if d_total else float("nan")),
        "mv agrees": agreement["agrees (equal)"] + agreement["agrees (not equal)"],
        "mv false EQ": agreement["false EQ (step is wrong)"],
        "mv false NE": agreement["false NE (step holds)"],
        "mv timeouts": sum(1 for m in mv if m["verdict"] == "timeout"),
    }]
    summary = (
        f"math-verify 0.9.0 installed next to derive (`pip install -e '.[bench]'`; pip check "
        f"clean, antlr4-python3-runtime stays 4.11.1).  On the same {len(cases)} steps, "
        f"LaTeX as written: {fmt_s(m_total)} in total vs derive's {fmt_s(d_total)} "
        f"(**{fmt_ratio(m_total / d_total if d_total else float('nan'))}**; loop wall "
        f"{fmt_s(t.seconds)}).  It calls {agreement['false EQ (step is wrong)']} wrong steps "
        f"equal and {agreement['false NE (step holds)']} steps that derive proves (or proves "
        f"for every size in range) unequal — it cannot see the documents' definitions, "
        f"domains or sizes.  No target; a comparison column."
    )
    return Section(NAME, "math-verify 0.9.0 on the same steps", summary_rows, summary,
                   extra=[("Agreement with derive (ground truth for false steps as in "
                           "engine-vs-naive)", [{"reading": k, "steps": n}
                                                for k, n in sorted(agreement.items())]),
                          ("Decision table, every step", rows)],
                   targets=[])

"""engine-vs-naive: derive's decision vs `simplify(lhs - rhs) == 0`, every step of derivations/.

Both sides of every step come from derive's own planning (plan_document,
read_chain, plan_steps, _task: the exact StepTasks `derive check` decides in
round 1) and, for the baseline, derive's own parser and definitions, so both
deciders see identical SymPy expressions.  Each call runs in a killable worker
(derive.worker.WorkerPool, one job, separate warmed-up pools for the two
deciders); a baseline hang costs its bound (30 s).  Time per step is the
pool's wall time for the task (parse + decide + IPC, same overhead for both).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from bench.common import Section, StepCase, Timer, derivation_steps, fmt_ratio, fmt_s, short
from bench.workers import naive_step, warm_derive, warm_naive

NAME = "engine-vs-naive"
BASELINE_TIMEOUT = 30.0
HOLDS = {"proved", "bounded", "numeric"}
TARGET_SPEEDUP = 5.0


def decide_all(cases: list[StepCase]) -> list[dict]:
    """derive's verdict for each step, each in a warmed-up worker, with check.py's bounds."""
    from derive.check import BUDGET_SHARE
    from derive.steps import decide_step
    from derive.worker import WorkerPool

    out = []
    with WorkerPool(jobs=1, timeout=30.0) as pool:
        pool.run(warm_derive, [()])
        for case in cases:
            bound = case.task.budget / BUDGET_SHARE  # the hard bound check.py uses
            r = pool.run(decide_step, [(case.task,)], timeout=bound)[0]
            if r.ok:
                o = r.value
                out.append({"verdict": o.verdict, "method": o.method, "seconds": r.seconds,
                            "residual": o.residual or ""})
            else:
                out.append({"verdict": "undecided",
                            "method": "time bound" if r.timed_out else "error",
                            "seconds": r.seconds, "residual": r.error})
    return out


_MEMO: dict[int, list[dict]] = {}


def derive_results(cases: list[StepCase]) -> list[dict]:
    """decide_all, shared between the benchmarks of one run (same step list)."""
    key = len(cases)
    if key not in _MEMO:
        _MEMO[key] = decide_all(cases)
    return _MEMO[key]


def baseline_all(cases: list[StepCase], timeout: float) -> list[dict]:
    from derive.worker import WorkerPool

    out = []
    with WorkerPool(jobs=1, timeout=timeout) as pool:
        pool.run(warm_naive, [()])
        for case in cases:
            r = pool.run(naive_step, [(case.task,)], timeout=timeout)[0]
            if r.ok:
                out.append({**r.value, "seconds": r.seconds})
            else:
                verdict = "timeout" if r.timed_out else "error"
                out.append({"verdict": verdict, "residual": r.error, "seconds": r.seconds,
                            "read": 0.0, "decide": r.seconds})
    return out


def classify(case: StepCase, d: dict, b: dict) -> str:
    """How derive's verdict compares with the baseline's, for one step.

    Ground truth for a false step: derive's confirmed refutation (a counterexample
    re-checked at 60 digits) or a pinned `expect: refuted` in the document.
    """
    false_step = d["verdict"] == "refuted" or case.expected == "refuted"
    dv, bv = d["verdict"], b["verdict"]
    if bv == "proved" and dv in ("refuted", "undecided", "numeric", "unparsed"):
        return "WORSE"
    if false_step and dv in HOLDS:
        return "WORSE"
    if bv == "proved" and dv == "bounded":
        return "weaker (bounded vs proved)"
    if bv in ("error", "timeout") and dv in ("proved", "bounded"):
        return f"better (baseline {bv})"
    if bv == "proved" and dv == "proved":
        return "same (proved)"
    if dv in ("proved", "bounded") and bv != "proved":
        return "better (baseline false NE)" if not false_step else "?"
    if dv == "refuted":
        return "better (counterexample)" if bv == "not equal" else f"better (baseline {bv})"
    return f"other ({dv}/{bv})"


def run(quick: bool) -> Section:
    cases, unreadable = derivation_steps()
    timeout = 10.0 if quick else BASELINE_TIMEOUT
    with Timer() as td:
        derive_results = decide_all(cases)
    _MEMO[len(cases)] = derive_results
    with Timer() as tb:
        base_results = baseline_all(cases, timeout)

    rows, classes = [], Counter()
    for case, d, b in zip(cases, derive_results, base_results, strict=True):
        c = classify(case, d, b)
        classes[c.split(" (")[0] if c.startswith("other") else c] += 1
        rows.append({
            "step": case.where,
            "relation": case.task.relation,
            "rhs": short(case.task.rhs, 30),
            "derive": f"{d['verdict']} ({d['method']})" if d["method"] else d["verdict"],
            "derive time": fmt_s(d["seconds"]),
            "baseline": b["verdict"],
            "baseline time": fmt_s(b["seconds"]),
            "comparison": c,
        })
    derive_total = sum(d["seconds"] for d in derive_results)
    base_total = sum(b["seconds"] for b in base_results)
    ratio = base_total / derive_total if derive_total else float("nan")
    worse = sum(1 for r in rows if r["comparison"] == "WORSE")

    verdict_table = []
    for v in sorted({d["verdict"] for d in derive_results} | {b["verdict"] for b in base_results}):
        verdict_table.append({
            "verdict": v,
            "derive": sum(1 for d in derive_results if d["verdict"] == v),
            "baseline": sum(1 for b in base_results if b["verdict"] == v),
        })
    comparison_table = [{"comparison": k, "steps": n} for k, n in sorted(classes.items())]

    # where the time goes
    by_method: dict[str, list[float]] = defaultdict(list)
    for d in derive_results:
        by_method[f"{d['verdict']} / {d['method'] or '-'}"].append(d["seconds"])
    method_table = [
        {"derive verdict / method": k, "steps": len(v), "total": fmt_s(sum(v)),
         "share": f"{100 * sum(v) / derive_total:.0f}%", "max": fmt_s(max(v))}
        for k, v in sorted(by_method.items(), key=lambda kv: -sum(kv[1]))
    ]
    base_by: dict[str, list[float]] = defaultdict(list)
    for b in base_results:
        base_by[b["verdict"]].append(b["seconds"])
    base_table = [
        {"baseline verdict": k, "steps": len(v), "total": fmt_s(sum(v)),
         "share": f"{100 * sum(v) / base_total:.0f}%", "max": fmt_s(max(v))}
        for k, v in sorted(base_by.items(), key=lambda kv: -sum(kv[1]))
    ]
    base_read = sum(b.get("read", 0.0) for b in base_results)
    slowest = sorted(range(len(cases)), key=lambda i: -max(derive_results[i]["seconds"],
                                                          base_results[i]["seconds"]))[:10]
    slow_table = [{
        "step": cases[i].where, "rhs": short(cases[i].task.rhs, 34),
        "derive": f"{fmt_s(derive_results[i]['seconds'])} {derive_results[i]['verdict']}",
        "baseline": f"{fmt_s(base_results[i]['seconds'])} {base_results[i]['verdict']}",
        "baseline residual": short(str(base_results[i].get("residual", "")), 40),
    } for i in slowest]

    summary_rows = [{
        "steps": len(cases),
        "derive total": fmt_s(derive_total),
        "baseline total": fmt_s(base_total),
        "RATIO baseline/derive": fmt_ratio(ratio),
        "median derive": fmt_s(sorted(d["seconds"] for d in derive_results)[len(cases) // 2]),
        "median baseline": fmt_s(sorted(b["seconds"] for b in base_results)[len(cases) // 2]),
        "worse": worse,
        "baseline timeouts": sum(1 for b in base_results if b["verdict"] == "timeout"),
    }]
    target_speed = ratio >= TARGET_SPEEDUP
    summary = (
        f"{len(cases)} steps (all round-1 steps of derivations/; {unreadable} unreadable items "
        f"are not decided by either).  derive {fmt_s(derive_total)} in total vs naive "
        f"`simplify(lhs-rhs)==0` {fmt_s(base_total)} (baseline bound {timeout:.0f} s per step"
        f"{', --quick' if quick else ''}): **{fmt_ratio(ratio)}** "
        f"(target ≥ {TARGET_SPEEDUP:.0f}×: {'met' if target_speed else 'NOT met'}).  "
        f"Steps decided worse than the baseline: **{worse}** "
        f"(target 0: {'met' if worse == 0 else 'NOT met'}).  "
        f"Wall time of the two loops: derive {fmt_s(td.seconds)}, baseline {fmt_s(tb.seconds)}; "
        f"the baseline's reading + definitions took {fmt_s(base_read)} of its total."
    )
    return Section(
        name=NAME,
        title="derive vs naive simplify(lhs - rhs) == 0",
        rows=summary_rows,
        summary=summary,
        extra=[
            ("Verdict counts", verdict_table),
            ("Comparison per step (ground truth for false steps: derive's confirmed "
             "refutations and pinned `expect: refuted`)", comparison_table),
            ("Where derive's time goes (by verdict / method)", method_table),
            ("Where the baseline's time goes (by verdict)", base_table),
            ("Ten slowest steps (max of the two)", slow_table),
            ("Decision table, every step", rows),
        ],
        targets=[(f"derive ≥ {TARGET_SPEEDUP:.0f}× faster than baseline in total", target_speed),
                 ("no step decided worse than the baseline", worse == 0)],
    )

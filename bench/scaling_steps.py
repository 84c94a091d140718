"""scaling-steps: check_documents on generated documents of 100, 1,000 and 10,000 steps (jobs=1)."""

from __future__ import annotations

from collections import Counter

from bench.common import Section, Timer, fmt_s
from bench.generate import document

NAME = "scaling-steps"
FULL_LIMIT = 600.0  # measure 10,000 only when the estimate is below 10 minutes


def check_generated(steps: int, jobs: int = 1, seed: int = 1):
    """(wall seconds, RunResult, wrong steps planted) for a generated document."""
    from derive.check import Options, check_documents
    from derive.read import parse_document

    text, wrong = document(steps, seed=seed)
    with Timer() as t:
        doc = parse_document(text, f"generated-{steps}.md")
        result = check_documents([doc], Options(jobs=jobs))
    return t.seconds, result, wrong


def verdicts(result) -> list[tuple[int, str]]:
    return [(s.line, s.verdict) for f in result.files for c in f.chains for s in c.steps]


def run(quick: bool, max_seconds: float = FULL_LIMIT) -> Section:
    sizes = [100, 1000] if quick else [100, 1000, 10000]
    rows: list[dict] = []
    per_step: dict[int, float] = {}
    for n in sizes:
        estimate = per_step[max(per_step)] * n if per_step else 0.0
        if estimate > max_seconds:
            rows.append({
                "steps": n, "measured": f"NO — EXTRAPOLATED from {max(per_step)} steps",
                "total": f"≈ {fmt_s(estimate)} (estimate)",
                "per step": f"≈ {fmt_s(per_step[max(per_step)])}",
                "growth vs previous size": "assumed linear", "verdicts": "–", "planted wrong": "–",
            })
            continue
        seconds, result, wrong = check_generated(n)
        found = verdicts(result)
        per = seconds / len(found)
        previous = per_step[max(per_step)] if per_step else None
        per_step[n] = per
        counts = Counter(v for _, v in found)
        rows.append({
            "steps": len(found), "measured": "yes", "total": fmt_s(seconds),
            "per step": fmt_s(per),
            "growth vs previous size": f"{per / previous:.2f}× per step" if previous else "–",
            "verdicts": ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
            "planted wrong": wrong,
        })
    measured = sorted(per_step)
    ratio = per_step[measured[-1]] / per_step[measured[0]] if len(measured) > 1 else float("nan")
    linear = ratio < 1.5
    skipped = [r for r in rows if r["measured"] != "yes"]
    summary = (
        f"Generated chains (7 families of algebra/calculus identities with random "
        f"coefficients, ~10% of steps planted wrong), `check_documents` with jobs=1, wall time "
        f"including planning, reading and the culprit round.  Per-step time "
        f"{', '.join(f'{n}: {fmt_s(per_step[n])}' for n in measured)}; "
        f"per-step ratio largest/smallest measured = **{ratio:.2f}** "
        f"({'linear growth' if linear else 'SUPER-LINEAR growth'}).  "
        + ("10,000 steps were not measured (--quick). " if quick else "")
        + (f"{', '.join(str(r['steps']) for r in skipped)} steps EXTRAPOLATED (estimate over "
           f"{max_seconds / 60:.0f} min), not measured. " if skipped else "")
    )
    return Section(NAME, "Scaling with the number of steps", rows, summary,
                   targets=[("time per step grows linearly (per-step ratio < 1.5)", linear)])

"""jobs: --jobs 2 against --jobs 1, on a generated 1,000-step document and on derivations/."""

from __future__ import annotations

from bench.common import DERIVATIONS, Section, Timer, fmt_ratio, fmt_s
from bench.scaling_steps import check_generated

NAME = "jobs"
TARGET = 1.6


def _verdicts(result) -> list[tuple[str, int, str, str]]:
    return [(f.path, s.line, s.verdict, s.method) for f in result.files for c in f.chains
            for s in c.steps]


def _derivations(jobs: int):
    from derive.check import Options, check_paths

    with Timer() as t:
        result = check_paths([DERIVATIONS], Options(jobs=jobs))
    return t.seconds, result


def run(quick: bool) -> Section:
    import os

    n = 200 if quick else 1000
    rows, same_all, speedups = [], True, {}
    for label, fn in ((f"generated, {n} steps", lambda j: check_generated(n, jobs=j)[:2]),
                      ("derivations/", _derivations)):
        t1, r1 = fn(1)
        t2, r2 = fn(2)
        v1, v2 = _verdicts(r1), _verdicts(r2)
        same_verdicts = [x[:3] for x in v1] == [x[:3] for x in v2]
        same_methods = v1 == v2
        diffs = [f"{a[0].split('/')[-1]}:{a[1]} {a[2]}/{a[3]} vs {b[2]}/{b[3]}"
                 for a, b in zip(v1, v2, strict=False) if a != b]
        same_all &= same_verdicts
        speedups[label] = t1 / t2
        rows.append({
            "document": label, "steps": len(v1), "jobs=1": fmt_s(t1), "jobs=2": fmt_s(t2),
            "SPEED-UP": fmt_ratio(t1 / t2), "verdicts identical": "yes" if same_verdicts else "NO",
            "methods identical": "yes" if same_methods else f"NO ({len(diffs)})",
            "differences": "; ".join(diffs[:4]) or "–",
        })
    key = f"generated, {n} steps"
    met = speedups[key] >= TARGET
    summary = (
        f"Wall time of `check_documents` / `check_paths` with jobs=2 vs jobs=1 on a "
        f"{os.cpu_count()}-core machine.  Generated {n} steps: **{fmt_ratio(speedups[key])}** "
        f"(target ≥ {TARGET}× on 1,000 steps: {'met' if met else 'NOT met'}"
        f"{'; --quick used 200 steps' if quick else ''}); derivations/: "
        f"{fmt_ratio(speedups['derivations/'])}.  Verdicts identical across job counts: "
        f"{'yes' if same_all else 'NO'}."
    )
    return Section(NAME, "--jobs 2 vs --jobs 1", rows, summary,
                   targets=[(f"jobs=2 ≥ {TARGET}× faster on 1,000 steps",
                             met if not quick else None),
                            ("identical verdicts for jobs 1 and 2", same_all)])

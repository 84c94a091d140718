"""derivations-total: wall time of `python -m derive check derivations/` in a fresh interpreter."""

from __future__ import annotations

import re

from bench.common import Section, fmt_s, median, run_cli

NAME = "derivations-total"
TARGET = 10.0


def run(quick: bool) -> Section:
    repeat = 1 if quick else 3
    rows, best = [], {}
    for jobs in (1, 2):
        times, summary_line, codes = [], "", set()
        for _ in range(repeat):
            seconds, proc = run_cli(["check", "derivations/", "--jobs", str(jobs), "-q"])
            times.append(seconds)
            codes.add(proc.returncode)
            lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
            summary_line = " ".join(lines[-2:]) if lines else proc.stderr[-200:]
        best[jobs] = median(times)
        rows.append({
            "command": f"python -m derive check derivations/ --jobs {jobs} -q",
            "median wall": fmt_s(median(times)),
            "runs": ", ".join(fmt_s(t) for t in times),
            "exit": "/".join(str(c) for c in sorted(codes)),
            "derive's own summary": re.sub(r"\s+", " ", summary_line)[:120],
        })
    summary = (
        f"Fresh interpreter, including imports and worker start-up; median of {repeat} run(s).  "
        f"--jobs 1: **{fmt_s(best[1])}**, --jobs 2: **{fmt_s(best[2])}** (target < {TARGET:.0f} s: "
        f"jobs 1 {'met' if best[1] < TARGET else 'NOT met'}, jobs 2 "
        f"{'met' if best[2] < TARGET else 'NOT met'})."
    )
    return Section(NAME, "python -m derive check derivations/", rows, summary,
                   targets=[(f"derivations/ in < {TARGET:.0f} s (jobs 1)", best[1] < TARGET),
                            (f"derivations/ in < {TARGET:.0f} s (jobs 2)", best[2] < TARGET)])

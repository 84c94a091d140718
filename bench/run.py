"""Run derive's benchmarks, print their tables and write bench/RESULTS.md.

    python bench/run.py              # everything (about 15-20 minutes on 2 cores)
    python bench/run.py --quick      # shorter variants (a few minutes)
    python bench/run.py --only jobs  # one benchmark (repeatable; RESULTS.md is rewritten
                                     # with just what ran)

Every ratio is against a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402 - after the path set-up
    derivations_total,
    engine_vs_naive,
    jobs,
    math_verify_bench,
    parse_bench,
    report_bench,
    scaling_m,
    scaling_steps,
)
from bench.common import Section, fmt_s, machine, table  # noqa: E402

BENCHMARKS = {
    m.NAME: m
    for m in (engine_vs_naive, math_verify_bench, scaling_steps, scaling_m, jobs, parse_bench,
              derivations_total, report_bench)
}
RESULTS = ROOT / "bench" / "RESULTS.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter variants of each benchmark")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the Markdown report")
    parser.add_argument("--max-10k-minutes", type=float, default=10.0,
                        help="scaling-steps measures 10,000 steps only if the estimate is below "
                             "this; otherwise it extrapolates (default 10)")
    args = parser.parse_args(argv)

    facts = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    names = args.only or list(BENCHMARKS)
    sections: list[Section] = []
    started = time.perf_counter()
    for name in names:
        module = BENCHMARKS[name]
        print(f"\n=== {name}{' (quick)' if args.quick else ''} ===", flush=True)
        t0 = time.perf_counter()
        try:
            if module is scaling_steps:
                section = module.run(args.quick, max_seconds=args.max_10k_minutes * 60)
            else:
                section = module.run(args.quick)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not sink the rest
            traceback.print_exc()
            section = Section(name, name, [{"error": f"{type(exc).__name__}: {exc}"}],
                              f"The benchmark failed: {type(exc).__name__}: {exc}", targets=[])
        section.seconds = time.perf_counter() - t0  # type: ignore[attr-defined]
        section.load = os.getloadavg()[0]  # type: ignore[attr-defined]
        sections.append(section)
        print(table(section.rows))
        print(section.summary)
        for caption, rows in section.extra or []:
            if caption.startswith("Decision table"):
                continue  # long; it is in RESULTS.md
            print(f"\n{caption}\n{table(rows)}")
        print(f"({name} took {fmt_s(section.seconds)})", flush=True)  # type: ignore[attr-defined]

    total = time.perf_counter() - started
    Path(args.out).write_text(render(sections, facts, args, total), encoding="utf-8")
    print(f"\nwrote {args.out} ({fmt_s(total)} in all)")
    return 0


def render(sections: list[Section], facts: dict[str, str], args, total: float) -> str:
    mode = "--quick" if args.quick else "full"
    only = f" --only {' --only '.join(args.only)}" if args.only else ""
    out = [
        "# derive benchmarks",
        "",
        f"Written by `python bench/run.py{' --quick' if args.quick else ''}{only}` "
        f"({mode} run, {fmt_s(total)}).  Every ratio compares with a baseline measured in the "
        "same run on the same machine.  How to run: bench/README.md.",
        "",
        "## Machine",
        "",
        table([{"": k, "value": v} for k, v in facts.items()]),
        "",
        "Timings are wall-clock times on a shared machine: other processes running at the same "
        "time (see the load averages) slow both sides of a ratio, but not necessarily equally; "
        "the jobs speed-up needs two idle cores.",
        "",
        "## Targets",
        "",
    ]
    target_rows = []
    for s in sections:
        for text, met in s.targets or []:
            target_rows.append({"benchmark": s.name, "target": text,
                                "met": "–" if met is None else ("yes" if met else "**NO**")})
    out += [table(target_rows) if target_rows else "(none measured)", ""]
    for s in sections:
        out += [f"## {s.name}: {s.title}", "",
                s.summary + f" (benchmark time {fmt_s(getattr(s, 'seconds', 0.0))}; 1-minute "
                f"load average when it ended: {getattr(s, 'load', float('nan')):.2f} on "
                f"{os.cpu_count()} cores)", "",
                table(s.rows), ""]
        for caption, rows in s.extra or []:
            out += [f"### {caption}", "", table(rows), ""]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())

"""reports: time and peak memory of `derive report` (HTML and PDF), and of a cached second run.

    python bench/run.py --only reports --out bench/REPORTS.md

For derivations/ and for the largest document of ../shared/corpus/docs, each in a
fresh interpreter: `derive check` (the baseline), `derive report --format html`,
`derive report --format pdf`, and `derive report --format html` twice on a fresh
cache (the second run serves every document from .derive-cache/).  Ratios are
against the baseline of the same run.  Peak memory is the largest resident set of
the command or any process it waited for (workers, xelatex).  Then the renderers
alone on a generated result of 10,000 steps (no checking), each in a fresh interpreter:
the annotated note's HTML and LaTeX, the chains view, and (full run) its PDF.  Do not edit
derive/ while it runs: the cache key includes derive's source, so an edit between the two
cached runs makes the second one a miss.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import PYTHON, ROOT, Section, fmt_s

NAME = "reports"
CORPUS = ROOT.parent / "shared" / "corpus" / "docs"
CHILD = """
import resource, sys
from derive.cli import main
code = main(sys.argv[1:])
kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
         resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(f"@@peak-kb {kb}", file=sys.stderr)
raise SystemExit(code)
"""


def _measure(args: list[str], cwd: Path, no_cache: bool = True) -> tuple[float, float, int]:
    """(seconds, peak MB, exit status) of `derive ARGS` in a fresh interpreter."""
    import os
    import subprocess

    env = dict(os.environ)
    env.pop("DERIVE_NO_CACHE", None)
    if no_cache:
        env["DERIVE_NO_CACHE"] = "1"
    start = time.perf_counter()
    proc = subprocess.run([PYTHON, "-c", CHILD, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=1800)
    seconds = time.perf_counter() - start
    peak = next((int(line.split()[1]) for line in proc.stderr.splitlines()
                 if line.startswith("@@peak-kb")), 0)
    return seconds, peak / 1024, proc.returncode


def _largest_corpus_document() -> Path | None:
    if not CORPUS.is_dir():
        return None
    return max(CORPUS.iterdir(), key=lambda p: p.stat().st_size)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "–"


def _targets() -> list[tuple[str, list[str]]]:
    targets = [("derivations/", [str(ROOT / "derivations")])]
    largest = _largest_corpus_document()
    if largest is not None:
        targets.append((f"{largest.name} ({largest.stat().st_size // 1024} KB)", [str(largest)]))
    return targets


def _commands(target: list[str], out: Path) -> list[tuple[str, list[str]]]:
    return [
        ("check (baseline)", ["check", *target, "-q", "--jobs", "2"]),
        ("report html", ["report", *target, "-o", str(out), "--format", "html", "-q", "--jobs",
                         "2"]),
        ("report pdf", ["report", *target, "-o", str(out), "--format", "pdf", "-q", "--jobs",
                        "2"]),
    ]


def _cli_rows(quick: bool) -> tuple[list[dict], list[tuple[str, bool | None]], list[str]]:
    """Every command of a target, round-robin, `repeat` times; the median of each.

    Round-robin, so that a burst of load on the shared machine hits every command alike."""
    from statistics import median

    repeat = 1 if quick else 3
    rows: list[dict] = []
    targets: list[tuple[str, bool | None]] = []
    notes: list[str] = []
    for label, target in _targets():
        with tempfile.TemporaryDirectory(prefix="derive-bench-") as tmp:
            folder = Path(tmp)
            commands = [c for c in _commands(target, folder / "out")
                        if not (quick and c[0] == "report pdf" and label != "derivations/")]
            seen: dict[str, list[tuple[float, float, int]]] = {what: [] for what, _ in commands}
            seen["report html, cache: first run"] = []
            seen["report html, cache: second run"] = []
            cached = _commands(target, folder / "cached")[1][1]
            for round_ in range(repeat):
                for what, args in commands:
                    seen[what].append(_measure(args, folder))
                cache_dir = folder / ".derive-cache"
                shutil.rmtree(cache_dir, ignore_errors=True)  # a cold cache for the first run
                seen["report html, cache: first run"].append(
                    _measure(cached, folder, no_cache=False))
                seen["report html, cache: second run"].append(
                    _measure(cached, folder, no_cache=False))
                del round_
            base = median(t for t, _, _ in seen["check (baseline)"])
            for what, runs in seen.items():
                seconds = median(t for t, _, _ in runs)
                rows.append({"input": label, "command": what, "wall (median)": fmt_s(seconds),
                             "runs": ", ".join(fmt_s(t) for t, _, _ in runs),
                             "peak memory": f"{max(m for _, m, _ in runs):.0f} MB",
                             "vs check": _ratio(seconds, base),
                             "exit": "/".join(sorted({str(c) for _, _, c in runs}))})
            cold = median(t for t, _, _ in seen["report html, cache: first run"])
            warm = median(t for t, _, _ in seen["report html, cache: second run"])
            faster = cold / warm if warm else 0.0
            notes.append(f"{label}: the cached second run took {fmt_s(warm)} against "
                         f"{fmt_s(cold)} ({faster:.1f}× faster)")
            targets.append((f"{label}: cached second run faster than the first", faster > 1.0))
    return rows, targets, notes


RENDER_CHILD = """
import resource, sys, time
sys.path.insert(0, sys.argv[1] + "/tests")
sys.path.insert(0, sys.argv[1])
from test_report_limits import many_steps  # the generated result the tests use
from derive.report import render_html, render_note_html, render_note_latex
what = sys.argv[2]
file = many_steps(10_000)
jobs = {"build only": lambda: "",
        "note HTML": lambda: render_note_html(file, file.source, title="many"),
        "chains HTML": lambda: render_html(file, title="many"),
        "note LaTeX": lambda: render_note_latex(file, file.source, title="many")}
start = time.perf_counter()
size = len(jobs[what]())
seconds = time.perf_counter() - start
kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"@@render {seconds} {kb} {size}")
"""


def _render(what: str) -> tuple[float, float, int]:
    """(seconds, peak MB, output characters) of one renderer in a fresh interpreter."""
    import subprocess

    proc = subprocess.run([PYTHON, "-c", RENDER_CHILD, str(ROOT), what], capture_output=True,
                          text=True, timeout=1800, cwd=ROOT)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("@@render"))
    _, seconds, kb, size = line.split()
    return float(seconds), int(kb) / 1024, int(size)


def _render_rows(quick: bool) -> list[dict]:
    from derive.model import RunResult, summarise
    from derive.report import write_reports

    _, base_mb, _ = _render("build only")
    rows = []
    for what in ("note HTML", "chains HTML", "note LaTeX"):
        seconds, peak, size = _render(what)
        rows.append({"rendering 10,000 steps": what, "wall": fmt_s(seconds),
                     "peak memory": f"{peak:.0f} MB ({peak - base_mb:+.0f} MB over the result)",
                     "output": f"{size / 1e6:.1f} MB"})
    if not quick and (shutil.which("xelatex") or shutil.which("pdflatex")):
        sys.path.insert(0, str(ROOT / "tests"))
        from test_report_limits import many_steps

        file = many_steps(10_000)
        with tempfile.TemporaryDirectory(prefix="derive-bench-") as tmp:
            start = time.perf_counter()
            (pdf,) = write_reports(RunResult([file], summarise([file], 0.0)), tmp, {"pdf"})
            seconds = time.perf_counter() - start
            rows.append({"rendering 10,000 steps": "note PDF (typeset and compiled)",
                         "wall": fmt_s(seconds), "peak memory": "–",
                         "output": f"{pdf.stat().st_size / 1e6:.1f} MB"})
    return rows


def run(quick: bool) -> Section:
    rows, targets, notes = _cli_rows(quick)
    render = _render_rows(quick)
    summary = (
        "Each command in a fresh interpreter with `--jobs 2`, the commands of an input run "
        "round-robin (three rounds in a full run) and the median kept; `vs check` is the "
        "command's median wall time over `derive check`'s on the same input in the same run.  "
        + "; ".join(notes) + "."
    )
    return Section(NAME, "derive report: HTML, PDF, and a cached second run", rows, summary,
                   extra=[("The renderers alone, on a generated result of 10,000 steps", render)],
                   targets=targets)


if __name__ == "__main__":  # pragma: no cover
    sys.path.insert(0, str(ROOT))
    section = run("--quick" in sys.argv)
    from bench.common import table

    print(table(section.rows))
    print(section.summary)
    for caption, extra in section.extra or []:
        print(f"\n{caption}\n{table(extra)}")

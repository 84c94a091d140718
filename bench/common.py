"""Shared helpers for the benchmarks: step enumeration, timing, tables, machine facts."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DERIVATIONS = ROOT / "derivations"
PYTHON = sys.executable

Row = dict[str, object]


@dataclass
class Section:
    """What one benchmark hands back to bench/run.py."""

    name: str
    title: str
    rows: list[Row]  # the main table
    summary: str  # prose: what was measured, the number, target met or not
    extra: list[tuple[str, list[Row]]] | None = None  # further (caption, table) pairs
    targets: list[tuple[str, bool | None]] | None = None  # (target, met?) None = not measured


# --------------------------------------------------------------------------- steps


@dataclass
class StepCase:
    """One step the checker decides, exactly as check.py would hand it to a worker."""

    file: str
    chain: str
    line: int
    from_line: int
    task: object  # derive.steps.StepTask
    expected: str | None  # pinned verdict in the document, if any

    @property
    def where(self) -> str:
        same = self.from_line == self.line
        lines = f"{self.line}" if same else f"{self.from_line}→{self.line}"
        return f"{self.file}:{lines}"


def derivation_steps(paths: Sequence[str | Path] = (DERIVATIONS,)) -> tuple[list[StepCase], int]:
    """Every round-1 step of every chain in `paths`, planned with check.py's own code.

    Returns the steps and the number of unreadable items (which are not decided).
    Reading happens in this process (read_chain, the worker function check.py uses).
    """
    from derive.chain import plan_steps
    from derive.check import Options, _task, collect_documents, plan_document
    from derive.read import read_document
    from derive.steps import read_chain

    options = Options()
    cases: list[StepCase] = []
    unreadable_total = 0
    for path in collect_documents([str(p) for p in paths]):
        doc = read_document(path)
        planned = plan_document(doc, options)
        for plan in planned.plans:
            items = plan.raw.items
            reading = read_chain(
                plan.spec, plan.definitions, [i.latex for i in items], plan.equations,
                plan.defines is not None,
            )
            steps, unreadable = plan_steps(plan, [r.ok for r in reading.items])
            unreadable_total += len(unreadable)
            expect = plan.spec.expect
            for step in steps:
                expected = expect.steps.get(step.rhs) if expect is not None else None
                cases.append(StepCase(
                    file=Path(doc.path).name,
                    chain=plan.raw.label or f"line {plan.raw.line}",
                    line=items[step.rhs].line,
                    from_line=items[step.lhs].line,
                    task=_task(plan, step, options),
                    expected=expected,
                ))
    return cases, unreadable_total


# --------------------------------------------------------------------------- timing


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def fmt_s(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(x: float | None) -> str:
    if x is None or x != x:
        return "–"
    return f"{x:.2f}×"


def short(latex: str, width: int = 38) -> str:
    text = " ".join(latex.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def run_cli(args: Sequence[str], timeout: float = 900) -> tuple[float, subprocess.CompletedProcess]:
    """Wall time of `python -m derive ...` in a fresh interpreter (cwd = repo root)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [PYTHON, "-m", "derive", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=timeout,
    )
    return time.perf_counter() - start, proc


# --------------------------------------------------------------------------- tables


def table(rows: Sequence[Row], columns: Sequence[str] | None = None) -> str:
    """A GitHub-flavoured Markdown table (also readable in a terminal)."""
    if not rows:
        return "(no rows)"
    columns = list(columns or rows[0].keys())
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        out.append("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |")
    return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    import mpmath
    import sympy

    try:
        from importlib.metadata import version

        mv = version("math-verify")
    except Exception:  # noqa: BLE001 - optional
        mv = "not installed"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "SymPy": sympy.__version__,
        "mpmath": mpmath.__version__,
        "math-verify": mv,
        "load average at start": load,
    }


def chunks(seq: Sequence, n: int) -> Iterator[Sequence]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]

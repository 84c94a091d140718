"""parse: reading and parsing the whole seed note, and the import time of derive."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench.common import PYTHON, ROOT, Section, fmt_s, median

NAME = "parse"
SEED = Path("/work/shared/seeds/cross_entropy_note.md")
CONTEXT = ROOT / "derivations" / "cross_entropy_note.derive.yaml"


def one_pass(seed: Path, context: Path) -> tuple[int, int]:
    """read_document, plan every chain with the context file, build each chain's
    environment and parse every item (derive.steps.read_chain, as `check` does)."""
    from derive import steps
    from derive.check import Options, plan_document
    from derive.read import read_document

    steps._ENVIRONMENTS.clear()  # each pass builds its environments again
    doc = read_document(seed)
    planned = plan_document(doc, Options(context_file=str(context)))
    items = unreadable = 0
    for plan in planned.plans:
        reading = steps.read_chain(plan.spec, plan.definitions, [i.latex for i in plan.raw.items],
                                   plan.equations, plan.defines is not None)
        items += len(reading.items)
        unreadable += sum(1 for r in reading.items if not r.ok)
    return items, unreadable


def _import_seconds(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([PYTHON, "-c", code], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return median(times)


def run(quick: bool) -> Section:
    seed = SEED if SEED.exists() else ROOT / "derivations" / "cross_entropy.md"
    first_start = time.perf_counter()
    items, unreadable = one_pass(seed, CONTEXT)
    first = time.perf_counter() - first_start
    passes = 10 if quick else 50
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        one_pass(seed, CONTEXT)
        times.append(time.perf_counter() - start)
    per_pass = median(times)

    repeat = 3 if quick else 7
    bare = _import_seconds("pass", repeat)
    rows = [
        {"what": f"parse the seed note: median of {passes} passes", "time": fmt_s(per_pass),
         "note": f"{items} items in chains, {unreadable} unreadable; min {fmt_s(min(times))}, "
                 f"max {fmt_s(max(times))}"},
        {"what": "first pass in this process", "time": fmt_s(first),
         "note": "includes first-call lazy work (parsers, caches)"},
        {"what": "`python -c pass`", "time": fmt_s(bare), "note": f"median of {repeat}"},
    ]
    for code, label in (("import sympy", "import sympy"),
                        ("import derive", "import derive"),
                        ("import derive.check, derive.engine, derive.cli",
                         "import derive.check, .engine, .cli (what `check` loads)")):
        t = _import_seconds(code, repeat)
        rows.append({"what": f"`{label}`", "time": fmt_s(t),
                     "note": f"{fmt_s(t - bare)} above a bare interpreter; median of {repeat}"})
    met = per_pass < 1.0
    derive_import = rows[4]["time"]
    summary = (
        f"One pass = read_document + plan_document with the seed's context file + building "
        f"every chain's environment and parsing every item ({items} items) in-process.  "
        f"Median **{fmt_s(per_pass)}** per pass (target: well under 1 s — "
        f"{'met' if met else 'NOT met'}).  `import derive` takes {derive_import} "
        f"in a fresh interpreter (sympy alone {rows[3]['time']})."
    )
    return Section(NAME, "Reading and parsing the seed note; import time", rows, summary,
                   targets=[("parsing the seed note well under 1 s", met)])

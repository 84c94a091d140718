"""Stable verdicts: the same document gets the same verdicts however busy the machine is.

Runs ``derive check --format json`` on derivations/ and on the real-notes corpus
(``../shared/corpus/docs``, no context files) twice:

1. ``--jobs 1`` on its own;
2. ``--jobs 2`` beside CPU-burning processes (one per core, pure busy loops);

and compares every step's verdict (file, line, from-line, verdict).  Methods may
differ (a proof may come from a later rewrite); verdicts may not.  Prints a
table and the differences, and exits 1 when any verdict differs.

    python bench/stability.py                  # derivations/ and the corpus
    python bench/stability.py --burners 4      # a harder neighbour
    python bench/stability.py PATH ...         # other documents
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "docs"


def _burn(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


def check(paths: list[str], jobs: int, burners: int) -> tuple[dict, float, float]:
    """(verdicts by step, wall seconds, load average over the run)."""
    procs = []
    if burners:
        ctx = mp.get_context("fork")
        procs = [ctx.Process(target=_burn, args=(time.monotonic() + 3600,)) for _ in range(burners)]
        for proc in procs:
            proc.start()
        time.sleep(0.5)
    try:
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "derive", "check", *paths, "--format", "json",
             "--jobs", str(jobs), "-q"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        seconds = time.monotonic() - started
        load = os.getloadavg()[0]
    finally:
        for proc in procs:
            proc.kill()
            proc.join()
    if out.returncode not in (0, 1):
        raise SystemExit(f"derive check failed ({out.returncode}): {out.stderr.strip()}")
    data = json.loads(out.stdout)
    verdicts = {}
    for file in data["files"]:
        for chain in file["chains"]:
            for n, step in enumerate(chain["steps"]):
                key = (Path(file["path"]).name, chain["id"], n, step["from_line"], step["line"])
                verdicts[key] = (step["verdict"], step["method"])
    return verdicts, seconds, load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    sets = (
        [("given", args.paths)]
        if args.paths
        else [("derivations/", [str(ROOT / "derivations")]), ("corpus", [str(CORPUS)])]
    )
    failed = False
    print(f"machine: {os.cpu_count()} cores; burners beside the --jobs 2 run: {args.burners}")
    print("| documents | steps | jobs 1: s (load) | jobs 2 + burners: s (load) "
          "| verdicts differ | methods differ |")
    print("|---|---:|---:|---:|---:|---:|")
    details = []
    for label, paths in sets:
        quiet, t1, l1 = check(paths, 1, 0)
        busy, t2, l2 = check(paths, 2, args.burners)
        keys = sorted(set(quiet) | set(busy))
        verdicts = [k for k in keys if quiet.get(k, ("-",))[0] != busy.get(k, ("-",))[0]]
        methods = [k for k in keys if quiet.get(k) != busy.get(k)]
        failed |= bool(verdicts)
        print(f"| {label} | {len(keys)} | {t1:.1f} ({l1:.1f}) | {t2:.1f} ({l2:.1f}) "
              f"| {len(verdicts)} | {len(methods)} |")
        details += [(label, k, quiet.get(k), busy.get(k)) for k in methods]
    for label, key, a, b in details:
        mark = "VERDICT" if (a or ("-",))[0] != (b or ("-",))[0] else "method"
        print(f"  {mark} {label} {key[0]}:{key[3]}->{key[4]}: {a} vs {b}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

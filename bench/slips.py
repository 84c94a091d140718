"""Deliberate slips in new-user notes: does derive find them, and only them?

    python bench/slips.py                 # bench/notes/, labels from bench/notes/LABELS.yaml
    python bench/slips.py --verbose       # every refuted and every unread step as well

Each document in bench/notes/ is written in a style met in the real-notes corpus and holds
exactly one deliberate slip (LABELS.yaml gives its line); every other step is correct. derive
checks the documents as a new user would, with no context file. Reported per document:

* found        the slip's line is refuted (as the right-hand line of a refuted step, or as a
               culprit);
* false alarms refuted steps whose line is not a slip line;
* checked      steps with a verdict that decides something (proved, bounded, numeric, refuted);
* undecided / unparsed / error, and whether derive said that display math went unchecked.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOTES = ROOT / "bench" / "notes"
DECIDED = {"proved", "bounded", "numeric", "refuted"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list refuted and unread steps")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    from derive.check import Options, check_paths

    labels = yaml.safe_load((NOTES / "LABELS.yaml").read_text(encoding="utf-8"))
    paths = [NOTES / name for name in labels]
    run = check_paths(paths, Options(jobs=args.jobs))
    print("| document | slip found | false alarms | steps | checked | undecided | unparsed |")
    print("|---|---|---|---|---|---|---|")
    totals = {"found": 0, "slips": 0, "false": 0, "steps": 0, "checked": 0, "und": 0, "unp": 0}
    details: list[str] = []
    for path, result in zip(paths, run.files, strict=True):
        slips = {int(line) for line in labels[path.name]["slips"]}
        steps = [s for chain in result.chains for s in chain.steps]
        refuted_lines = {s.line for s in steps if s.verdict == "refuted"}
        found = slips & refuted_lines
        false = sorted(
            {s.line for s in steps if s.verdict == "refuted" and s.line not in slips}
        )
        checked = sum(s.verdict in DECIDED for s in steps)
        undecided = sum(s.verdict == "undecided" for s in steps)
        unparsed = sum(s.verdict in ("unparsed", "error") for s in steps)
        print(
            f"| {path.name} | {len(found)}/{len(slips)} | {len(false)} "
            f"{'(' + ', '.join(map(str, false)) + ')' if false else ''} | {len(steps)} "
            f"| {checked} | {undecided} | {unparsed} |"
        )
        totals["found"] += len(found)
        totals["slips"] += len(slips)
        totals["false"] += len(false)
        totals["steps"] += len(steps)
        totals["checked"] += checked
        totals["und"] += undecided
        totals["unp"] += unparsed
        for s in steps:
            if s.verdict in ("refuted", "unparsed", "undecided", "error"):
                details.append(f"{path.name}:{s.line}: {s.verdict}: {s.message[:140]}")
        for problem in result.problems:
            details.append(f"{problem.where()}: problem: {problem.message[:140]}")
    print(
        f"| **total** | {totals['found']}/{totals['slips']} | {totals['false']} "
        f"| {totals['steps']} | {totals['checked']} | {totals['und']} | {totals['unp']} |"
    )
    if args.verbose:
        print()
        print("\n".join(details))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

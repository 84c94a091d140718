"""Every `refuted` step on the real-notes corpus, with a judgement of each.

    python bench/refutations.py                  # ../shared/corpus/docs, no context files
    python bench/refutations.py --markdown       # the table for bench/READING.md
    python bench/refutations.py PATH…            # other documents or folders

A red line must rest only on what the document says (issue 13), so each refutation
derive makes on notes it has never seen is read by a person and judged *right* (the
note's own slip) or *wrong* (derive misread or guessed).  The judgements live in
``bench/refutations.yaml``, keyed by ``document:line`` and the step's LaTeX, so a
refutation that appears, moves or changes is listed as *not judged yet* instead of
silently inheriting an old judgement.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from derive.check import Options, check_paths  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "docs"
JUDGEMENTS = Path(__file__).with_name("refutations.yaml")
SHOWN = 70  # characters of each side shown in the table


@dataclass(frozen=True)
class Refutation:
    document: str
    line: int
    lhs: str
    rhs: str
    counterexample: str

    @property
    def key(self) -> str:
        digest = hashlib.sha1(f"{self.lhs}\n{self.rhs}".encode()).hexdigest()[:8]
        return f"{self.document}:{self.line}:{digest}"


def refutations(paths: list[Path], timeout: float) -> list[Refutation]:
    run = check_paths(paths, Options(timeout=timeout))
    found = []
    for file in run.files:
        for chain in file.chains:
            for step in chain.steps:
                if step.verdict != "refuted":
                    continue
                shown = step.counterexample_latex or step.counterexample or {}
                found.append(
                    Refutation(
                        Path(file.path).name,
                        step.line,
                        " ".join(step.lhs.split()),
                        " ".join(step.rhs.split()),
                        ", ".join(f"{k} = {v}" for k, v in shown.items()),
                    )
                )
    return found


def load_judgements() -> dict[str, dict[str, str]]:
    if not JUDGEMENTS.exists():
        return {}
    data = yaml.safe_load(JUDGEMENTS.read_text(encoding="utf-8")) or {}
    return {str(k): v for k, v in data.items()}


def _cell(text: str) -> str:
    text = text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
    return text.replace("|", "\\|")


def markdown(found: list[Refutation], judged: dict[str, dict[str, str]]) -> str:
    lines = [
        "| document:line | step | counterexample | right? | judgement |",
        "|---|---|---|---|---|",
    ]
    for r in found:
        j = judged.get(r.key, {})
        lines.append(
            f"| {r.document}:{r.line} | `{_cell(r.lhs)}` → `{_cell(r.rhs)}` "
            f"| {_cell(r.counterexample)} | {j.get('right', 'not judged yet')} "
            f"| {j.get('why', '')} |"
        )
    right = sum(1 for r in found if judged.get(r.key, {}).get("right") == "right")
    wrong = sum(1 for r in found if judged.get(r.key, {}).get("right") == "wrong")
    lines.append("")
    lines.append(
        f"{len(found)} refuted steps: {right} right (the note's own slip), {wrong} wrong, "
        f"{len(found) - right - wrong} not judged yet."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[CORPUS])
    parser.add_argument("--markdown", action="store_true", help="print the READING.md table")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per step")
    args = parser.parse_args(argv)
    if not all(p.exists() for p in args.paths):
        print(f"not found: {', '.join(str(p) for p in args.paths if not p.exists())}")
        return 2
    found = refutations(args.paths, args.timeout)
    judged = load_judgements()
    if args.markdown:
        print(markdown(found, judged))
        return 0
    for r in found:
        verdict = judged.get(r.key, {}).get("right", "not judged yet")
        print(f"{r.key}  [{verdict}]\n    {r.lhs}\n  → {r.rhs}\n    at {r.counterexample}")
    print(f"{len(found)} refuted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

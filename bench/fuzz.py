"""Long-run fuzzing: the strategies and properties of tests/test_fuzz.py, many examples.

    python bench/fuzz.py --examples 10000 [--jobs 2] [--seed 0]
    python bench/fuzz.py --identities        # the identity corpus around unknown names

Most examples go through the document reader and the LaTeX parser in-process
(fast); a fraction runs through the full engine on a shared worker pool, and
some are true identities that must never be refuted, plain or around unknown
functions.  The real notes of ../shared/corpus/docs, broken on purpose (deleted
braces, swapped operators, dropped lines), are read and checked too: no
traceback, and no verdict ``error``.  The work is split into chunks run by
``--jobs`` processes.  Prints the count of examples per strategy, the verdicts
and other counters, every failure with hypothesis's reproducer, and the
elapsed time; exits 1 if anything failed.

``--identities`` decides every true identity of tests/identities.py plain and
wrapped in unknown functions and an opaque operator (h(ξ) + ·, γ(·), E[·], …):
0 refutations, and as many proved or bounded as plain.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

# share of the examples per strategy; the engine ones cost ~50x a parse
MIX = {
    "grammar-parse": 0.30,
    "markdown-parse": 0.22,
    "bytes": 0.18,
    "corpus-parse": 0.08,
    "grammar-engine": 0.07,
    "markdown-engine": 0.04,
    "corpus-engine": 0.01,
    "identity": 0.06,
    "wrapped-identity": 0.04,
}
CHUNK = {"grammar-parse": 500, "markdown-parse": 500, "bytes": 500, "corpus-parse": 100,
         "grammar-engine": 100, "markdown-engine": 100, "corpus-engine": 10, "identity": 100,
         "wrapped-identity": 100}


def _property(name: str, folder: Path):
    import test_fuzz as f  # noqa: PLC0415 - after sys.path is set
    from hypothesis import strategies as st

    def grammar_parse(text: str) -> None:
        f.check_parse(text)

    def markdown_parse(text: str) -> None:
        f.check_parse(text)

    def grammar_engine(texts: list[str]) -> None:
        f.check_run([f.check_parse(t) for t in texts], texts)

    def markdown_engine(text: str) -> None:
        out = Path(tempfile.mkdtemp(dir=folder)) / "out"
        out.mkdir()
        f.check_run([f.check_parse(text)], [text], out)

    def identity(value: tuple[str, str, str]) -> None:
        f.check_identity(*value)

    def byte_document(data: bytes) -> None:
        f.check_bytes(data, folder)

    def corpus_parse(document: tuple[str, str, str]) -> None:
        f.check_corpus_document(*document, engine=False)

    def corpus_engine(document: tuple[str, str, str]) -> None:
        f.check_corpus_document(*document, engine=True)

    def wrapped_identity(value: tuple[str, str, str]) -> None:
        f.check_wrapped_identity(*value)

    return {
        "corpus-parse": (f.corpus_documents(), corpus_parse),
        "corpus-engine": (f.corpus_documents(window=True), corpus_engine),
        "wrapped-identity": (f.wrapped_identities(), wrapped_identity),
        "grammar-parse": (f.latex_documents(), grammar_parse),
        "markdown-parse": (f.markdown_documents(), markdown_parse),
        "bytes": (f.byte_documents(), byte_document),
        "grammar-engine": (st.lists(f.latex_documents(), min_size=1, max_size=2), grammar_engine),
        "markdown-engine": (f.markdown_documents(), markdown_engine),
        "identity": (f.identities(), identity),
    }[name]


def run_chunk(name: str, examples: int, seed: int) -> tuple[str, int, Counter, list[str], float]:
    """Run one strategy for ``examples`` examples; (name, run, counters, failures, seconds)."""
    import test_fuzz as f  # noqa: PLC0415
    from hypothesis import given, settings
    from hypothesis import seed as hseed

    started = time.monotonic()
    before = Counter(f.STATS)  # a process runs several chunks
    failures: list[str] = []
    calls: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="derive-fuzz-") as tmp:
        strategy, check = _property(name, Path(tmp))

        def counted(value) -> None:
            calls["examples"] += 1
            check(value)

        test = hseed(seed)(settings(f.FUZZ, max_examples=examples)(given(strategy)(counted)))
        try:
            test()
        except BaseException as exc:  # noqa: BLE001 - every failure is reported
            failures.append(f"[{name} seed={seed}] " + "".join(
                traceback.format_exception_only(type(exc), exc)).strip()
                + "\n" + "".join(getattr(exc, "__notes__", [])))
    stats = Counter(f.STATS)
    stats.subtract(before)
    stats["examples"] = calls["examples"]
    return name, calls["examples"], stats, failures, time.monotonic() - started


def wrapped_identities() -> int:
    """Every true identity, plain and around unknown names: 0 refuted, proofs kept."""
    from identities import IDENTITIES, WRAPS, wrapped  # noqa: PLC0415

    from derive.engine import decide_equal  # noqa: PLC0415

    started = time.monotonic()
    counts: dict[str, Counter[str]] = {"plain": Counter(), **{k: Counter() for k in WRAPS}}
    refuted, lost = [], []
    for case in IDENTITIES:
        plain = decide_equal(case.lhs, case.rhs, case.domain, budget=2.0).verdict
        counts["plain"][plain] += 1
        for kind in WRAPS:
            wrap = wrapped(case, kind)
            verdict = decide_equal(wrap.lhs, wrap.rhs, wrap.domain, budget=2.0).verdict
            counts[kind][verdict] += 1
            if verdict == "refuted":
                refuted.append(wrap.name)
            if plain in ("proved", "bounded") and verdict not in ("proved", "bounded"):
                lost.append(f"{wrap.name}: {verdict}")
    print(f"{len(IDENTITIES)} true identities, {time.monotonic() - started:.0f} s")
    print("| form | proved | bounded | numeric | undecided | refuted |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, c in counts.items():
        print(f"| {kind} | {c['proved']} | {c['bounded']} | {c['numeric']} | {c['undecided']} "
              f"| {c['refuted']} |")
    print(f"refuted: {len(refuted)} {refuted}")
    print(f"proved plain but not wrapped: {len(lost)} {lost}")
    return 1 if refuted else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--identities", action="store_true",
                        help="only the identity corpus, plain and around unknown names")
    args = parser.parse_args(argv)
    if args.identities:
        return wrapped_identities()

    plan: list[tuple[str, int, int]] = []
    seed = args.seed
    for name, share in MIX.items():
        left = max(1, round(args.examples * share))
        while left > 0:
            n = min(left, CHUNK[name])
            plan.append((name, n, seed))
            seed += 1
            left -= n
    # the slow engine chunks first, so the fast ones fill the gaps at the end
    plan.sort(key=lambda job: CHUNK[job[0]])
    started = time.monotonic()
    per_strategy: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    failures: list[str] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as executor:
        futures = [executor.submit(run_chunk, *job) for job in plan]
        for future in futures:
            name, ran, stats, failed, seconds = future.result()
            per_strategy[name] += ran
            totals.update(stats)
            failures += failed
            print(f"  {name:16} {ran:5} examples in {seconds:6.1f} s"
                  + (f"  FAILED ({len(failed)})" if failed else ""), flush=True)
    elapsed = time.monotonic() - started

    print(f"\nexamples: {sum(per_strategy.values())} in {elapsed:.0f} s "
          f"({args.jobs} processes, seed {args.seed})")
    for name in MIX:
        print(f"  {name:16} {per_strategy[name]}")
    print("counters:")
    for key, value in sorted(totals.items()):
        if key != "examples":
            print(f"  {key:40} {value}")
    print(f"failures: {len(failures)}")
    for failure in failures:
        print("-" * 78)
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m derive check|report`: the command line (design §6).

Exit codes: 0 nothing refuted or unparsed beyond what the documents pin as
expected; 1 something is; 2 usage errors or files that cannot be read.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from derive import __version__
from derive.arguments import positive_count, positive_seconds, whole_number
from derive.check import DEFAULT_TIMEOUT, DocumentError, Options, check_paths, collect_documents
from derive.context import ContextError, load_context_file
from derive.model import RunResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
DEFAULT_FOLDER = "derivations"
CACHE_FOLDER = ".derive-cache"
NO_CACHE_VARIABLE = "DERIVE_NO_CACHE"


class UsageError(Exception):
    """A problem with how derive was called; one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage block), exit 2."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="derive",
        description="Check LaTeX derivations line by line: which steps are right, "
        "which are wrong, and why.",
        epilog="Exit status: 0 all steps hold (or fail exactly as pinned), "
        "1 a step is refuted, unreadable or an internal error, 2 usage error or unreadable file.",
    )
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help=f"documents (.md, .tex) or folders; '-' reads paths from stdin, one a line; "
            f"default: ./{DEFAULT_FOLDER}/",
        )
        sub.add_argument(
            "--changed",
            action="store_true",
            help="only the .md/.tex files git sees as changed (against HEAD, or --since), "
            "staged or not, and new files; within PATHs when given",
        )
        sub.add_argument(
            "--since",
            metavar="REF",
            default="HEAD",
            help="with --changed: compare with this git revision (e.g. origin/main)",
        )
        sub.add_argument(
            "--no-cache",
            action="store_true",
            help=f"check every document again instead of reusing the results of unchanged "
            f"ones from ./{CACHE_FOLDER}/ (also: {NO_CACHE_VARIABLE}=1)",
        )
        sub.add_argument("--context", metavar="FILE", help="YAML context file for every document")
        sub.add_argument(
            "--timeout",
            type=positive_seconds,
            default=DEFAULT_TIMEOUT,
            metavar="S",
            help=f"hard time bound per step in seconds (default {DEFAULT_TIMEOUT:g})",
        )
        sub.add_argument(
            "--jobs",
            "-j",
            type=positive_count,
            default=1,
            metavar="N",
            help="worker processes (results are identical for any N)",
        )
        sub.add_argument(
            "--seed", type=whole_number, default=0, help="seed for random sample points"
        )
        sub.add_argument(
            "--strict",
            action="store_true",
            help="also exit 1 when a step is only numeric (not proved) or undecided",
        )
        loud = sub.add_mutually_exclusive_group()
        loud.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            help="print only the one-line summary; no progress bar",
        )
        loud.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help="print every step in full: both sides, method, time, whole residuals",
        )

    check = commands.add_parser(
        "check",
        help="check documents and print the verdicts",
        description="Check every derivation in the documents and print a verdict per step.",
        epilog="Exit status: 0 nothing refuted, unparsed or in error (beyond what the documents "
        "pin), "
        "1 something is, 2 usage error or unreadable file.  Colour only on a terminal; "
        "NO_COLOR=1 turns it off.",
    )
    common(check)
    check.add_argument(
        "--format",
        choices=("text", "json", "github", "sarif"),
        default="text",
        help="text for people (default); json for programs (format in README); github: "
        "GitHub Actions annotations (::error/::warning); sarif: SARIF 2.1.0 for code scanning",
    )

    report = commands.add_parser(
        "report",
        help="write HTML and LaTeX/PDF proof reports",
        description="Check the documents, then write one report per document and format "
        "into the output folder (nothing else is written; sources are never touched).",
        epilog="Exit status as for `derive check`; the reports are written either way.",
    )
    common(report)
    report.add_argument(
        "-o", "--output", default="reports", metavar="DIR", help="output folder (default: reports/)"
    )
    report.add_argument(
        "--format",
        default="html,tex,pdf",
        metavar="LIST",
        help="comma-separated: html, tex, pdf (default: all three)",
    )
    report.add_argument(
        "--view",
        choices=("note", "chains"),
        default="note",
        help="note: the whole document with a verdict beside every checked line (default); "
        "chains: only the derivation chains, one table each",
    )
    return parser


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return run(args)
    except (UsageError, DocumentError, ContextError) as exc:
        print(f"derive: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `derive check | head`: the reader left, which is fine
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter exit quiet
        except OSError:  # pragma: no cover
            pass
        return EXIT_OK


def run(args: argparse.Namespace) -> int:
    paths, chosen = _select(args)
    for path in paths:
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or folder")
    if not paths or not collect_documents(paths):
        if not chosen:
            raise UsageError(f"no .md or .tex documents in {', '.join(paths)}")
        paths = []  # nothing changed: nothing to check, and that is fine
    if args.context:
        load_context_file(args.context)  # fail early, with file and key
    formats = _report_formats(args.format) if args.command == "report" else set()

    options = Options(
        context_file=args.context,
        timeout=args.timeout,
        jobs=args.jobs,
        seed=args.seed,
    )
    with _progress(enabled=_show_progress(args)) as progress:
        options.progress = progress
        run_result = _check(paths, options, cache=_use_cache(args))

    if args.command == "report":
        _write_reports(run_result, Path(args.output), formats, args.view)
        from derive.report.text import render_summary

        print(render_summary(run_result))
    elif args.format == "json":
        from derive.report import dumps

        print(dumps(run_result))
    elif args.format == "github":
        from derive.report.github import render_github

        sys.stdout.write(render_github(run_result))
    elif args.format == "sarif":
        from derive.report.sarif import render_sarif

        sys.stdout.write(render_sarif(run_result))
    else:
        _print_text(run_result, quiet=args.quiet, verbose=args.verbose)
    unproven = run_result.summary.numeric + run_result.summary.undecided
    if not run_result.ok or (args.strict and unproven):
        return EXIT_FINDINGS
    return EXIT_OK


def _select(args: argparse.Namespace) -> tuple[list[str], bool]:
    """The paths to check, and whether they were chosen (stdin, git) rather than given:
    a chosen selection may be empty, and then there is nothing to do."""
    from derive.selection import SelectionError, changed, from_lines

    given = list(args.paths)
    chosen = False
    if "-" in given:
        given.remove("-")
        selection = from_lines(sys.stdin)
        given += selection.paths
        chosen = True
        _note_skipped(selection.skipped, "from stdin")
    if args.changed:
        try:
            selection = changed(given, since=args.since)
        except SelectionError as exc:
            raise UsageError(str(exc)) from exc
        _note_skipped([p for p in selection.skipped if Path(p).exists()], "changed in git")
        return selection.paths, True
    if not given and not chosen:
        return [DEFAULT_FOLDER], False
    return given, chosen


def _note_skipped(skipped: list[str], where: str) -> None:
    if skipped:
        shown = ", ".join(skipped[:5]) + (" …" if len(skipped) > 5 else "")
        print(f"derive: skipped {len(skipped)} path(s) {where} that are not .md/.tex "
              f"documents or do not exist: {shown}", file=sys.stderr)


def _use_cache(args: argparse.Namespace) -> bool:
    return not args.no_cache and not os.environ.get(NO_CACHE_VARIABLE)


def _check(paths: list[str], options: Options, *, cache: bool) -> RunResult:
    if not paths:
        from derive.model import summarise

        return RunResult([], summarise([], 0.0))
    if cache:
        from derive.cache import check_paths_cached

        return check_paths_cached(paths, options, CACHE_FOLDER)
    return check_paths(paths, options)


def _report_formats(text: str) -> set[str]:
    formats = {part.strip() for part in text.split(",") if part.strip()}
    unknown = formats - {"html", "tex", "pdf"}
    if unknown or not formats:
        raise UsageError(
            f"--format: unknown report format {', '.join(sorted(unknown)) or text!r}; "
            "choose from html, tex, pdf"
        )
    return formats


def _use_color() -> bool:
    """ANSI colour on stdout: a terminal, NO_COLOR unset (or empty), TERM not dumb."""
    return (
        sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    )


def _show_progress(args: argparse.Namespace) -> bool:
    """The progress bar goes to stderr, only when stderr is a terminal."""
    return not args.quiet and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def _print_text(run_result: RunResult, *, quiet: bool, verbose: bool) -> None:
    from derive.report.text import render_summary, render_text

    if quiet:
        sys.stdout.write(render_summary(run_result) + "\n")
        return
    sys.stdout.write(render_text(run_result, verbose=verbose, color=_use_color()))


def _write_reports(
    run_result: RunResult, out_dir: Path, formats: set[str], view: str = "note"
) -> None:
    """Write the reports; every problem is one line and exit 2, never a traceback."""
    from derive.report import LatexError, ReportError, write_reports

    try:
        written = write_reports(
            run_result,
            out_dir,
            formats,
            view=view,
            warn=lambda message: print(f"derive: warning: {message}", file=sys.stderr),
        )
    except LatexError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "pdflatex failed"
        raise UsageError(
            f"{out_dir}: PDF report failed: {first} (ask for --format html,tex "
            "and run pdflatex yourself to see the log)"
        ) from exc
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"{out_dir}: cannot write reports: {exc.strerror or exc}") from exc
    for path in written:
        print(f"wrote {_display(path)}")


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _progress:
    """One transient progress line on stderr: phase, bar, done/total, elapsed (rich)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar = None
        self._task = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<17}"),
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("reading", total=None)
        return self.update

    def update(self, phase: str, done: int, total: int) -> None:
        assert self._bar is not None and self._task is not None
        self._bar.update(self._task, description=phase, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

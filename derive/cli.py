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
from derive.check import DEFAULT_TIMEOUT, DocumentError, Options, check_paths, collect_documents
from derive.context import ContextError, load_context_file
from derive.model import RunResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
DEFAULT_FOLDER = "derivations"


class UsageError(Exception):
    """A problem with how derive was called; one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derive",
        description="Check LaTeX derivations line by line: which steps are right, "
        "which are wrong, and why.",
        epilog="Exit status: 0 all steps hold (or fail exactly as pinned), "
        "1 a step is refuted or unreadable, 2 usage error or unreadable file.",
    )
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "paths", nargs="*", metavar="PATH",
            help=f"documents (.md, .tex) or folders; default: ./{DEFAULT_FOLDER}/",
        )
        sub.add_argument("--context", metavar="FILE", help="YAML context file for every document")
        sub.add_argument(
            "--timeout", type=_positive_float, default=DEFAULT_TIMEOUT, metavar="S",
            help=f"hard time bound per step in seconds (default {DEFAULT_TIMEOUT:g})",
        )
        sub.add_argument(
            "--jobs", "-j", type=_positive_int, default=1, metavar="N",
            help="worker processes (results are identical for any N)",
        )
        sub.add_argument("--seed", type=int, default=0, help="seed for random sample points")
        sub.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
        sub.add_argument("-v", "--verbose", action="store_true", help="print every step in full")

    check = commands.add_parser("check", help="check documents and print the verdicts")
    common(check)
    check.add_argument("--format", choices=("text", "json"), default="text")

    report = commands.add_parser("report", help="write HTML and LaTeX/PDF proof reports")
    common(report)
    report.add_argument("-o", "--output", default="reports", metavar="DIR",
                        help="output folder (default: reports/)")
    report.add_argument("--format", default="html,tex,pdf", metavar="LIST",
                        help="comma-separated: html, tex, pdf (default: all three)")
    return parser


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (UsageError, DocumentError, ContextError) as exc:
        print(f"derive: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    paths = args.paths or [DEFAULT_FOLDER]
    for path in paths:
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or folder")
    if not collect_documents(paths):
        raise UsageError(f"no .md or .tex documents in {', '.join(paths)}")
    if args.context:
        load_context_file(args.context)  # fail early, with file and key
    formats = _report_formats(args.format) if args.command == "report" else set()

    options = Options(
        context_file=args.context, timeout=args.timeout, jobs=args.jobs, seed=args.seed,
    )
    with _progress(enabled=not args.quiet and sys.stderr.isatty()) as progress:
        options.progress = progress
        run_result = check_paths(paths, options)

    if args.command == "report":
        _write_reports(run_result, Path(args.output), formats, quiet=args.quiet)
    elif args.format == "json":
        from derive.report import dumps

        print(dumps(run_result))
    else:
        _print_text(run_result, quiet=args.quiet, verbose=args.verbose)
    return EXIT_OK if run_result.ok else EXIT_FINDINGS


def _report_formats(text: str) -> set[str]:
    formats = {part.strip() for part in text.split(",") if part.strip()}
    unknown = formats - {"html", "tex", "pdf"}
    if unknown or not formats:
        raise UsageError(f"--format: unknown report format {', '.join(sorted(unknown)) or text!r}; "
                         "choose from html, tex, pdf")
    return formats


def _use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _print_text(run_result: RunResult, *, quiet: bool, verbose: bool) -> None:
    from derive.report import render_text

    text = render_text(run_result, verbose=verbose, color=_use_color())
    if quiet:  # the summary is the last line of the full rendering
        text = text.rstrip("\n").rsplit("\n", 1)[-1] + "\n"
    sys.stdout.write(text)


def _write_reports(run_result: RunResult, out_dir: Path, formats: set[str], *, quiet: bool) -> None:
    from derive.report import ReportError, write_reports

    try:
        written = write_reports(run_result, out_dir, formats)
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    if not quiet:
        for path in written:
            print(f"wrote {path}")


class _progress:
    """A progress bar on stderr for runs longer than a moment (rich)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar = None
        self._tasks: dict[str, int] = {}

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._bar.start()
        return self.update

    def update(self, phase: str, done: int, total: int) -> None:
        assert self._bar is not None
        if phase not in self._tasks:
            self._tasks[phase] = self._bar.add_task(phase, total=total)
        self._bar.update(self._tasks[phase], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

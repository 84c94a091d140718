"""pytest plugin: derivations as test items (design §9).

Registered through the ``pytest11`` entry point; follows pytest's documented
pattern for non-Python tests: ``pytest_collect_file`` → :class:`DeriveFile`
(a ``pytest.File``) → one :class:`DeriveItem` per chain, node ids like
``derivations/cross_entropy.md::bce-gradient-w`` (the chain's ``id:`` label,
else a slug of its section and line).

* What is collected: ``.md``/``.tex`` files under a folder named
  ``derivations`` (at any depth below the rootdir), plus files named
  explicitly on the command line.  The ini options ``derive_paths`` (folders or
  globs relative to the rootdir, e.g. ``docs/notes``, ``docs/**/*.md``) and
  ``derive_extensions`` change that; ``--no-derive`` turns collection off.
* Checking runs once per file, on the first item that needs it (all chains of
  the file in one ``check_documents`` call, so the file's workers are reused
  and definitions flow from chain to chain as in ``derive check``); items then
  look up their chain.  Under pytest-xdist every worker that runs an item of a
  file checks that file itself; ``--dist loadfile`` avoids the repetition.
* An item fails when a step does not meet its expectation
  (``StepResult.meets_expectation``).  ``numeric`` and ``undecided`` steps pass;
  they are listed in the item's ``user_properties`` (JUnit XML properties), in
  the ``-v`` status word and in a report section shown with ``-rA``/``-rP``.
* A file that cannot be read, or that has file-level problems (invalid
  context, unused annotations, …), gets one failing item ``<file problems>``.

Only the standard library and pytest are imported at start-up: derive's
engine is imported when a derivation file is actually collected.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from derive.arguments import positive_count, positive_seconds

if TYPE_CHECKING:
    from derive.model import ChainResult, Document, FileResult

DEFAULT_PATHS = ("**/derivations",)
DEFAULT_EXTENSIONS = (".md", ".tex")
FILE_PROBLEMS = "<file problems>"
SHOWN_VERDICTS = ("numeric", "undecided")  # pass, but are worth a look


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("derive", "derive: LaTeX derivations as tests")
    group.addoption(
        "--derive-timeout",
        type=positive_seconds,
        default=None,
        metavar="S",
        dest="derive_timeout",
        help="hard time bound per step, in seconds (default: the checker's, 6 s)",
    )
    group.addoption(
        "--derive-context",
        default=None,
        metavar="FILE",
        dest="derive_context",
        help="context file for every derivation (replaces NAME.derive.yaml sidecars)",
    )
    group.addoption(
        "--derive-jobs",
        type=positive_count,
        default=1,
        metavar="N",
        dest="derive_jobs",
        help="worker processes per checked file (default 1)",
    )
    group.addoption(
        "--no-derive",
        action="store_true",
        default=False,
        dest="no_derive",
        help="do not collect derivations",
    )
    parser.addini(
        "derive_paths",
        type="args",
        default=list(DEFAULT_PATHS),
        help="folders or globs (relative to rootdir) whose documents are collected as "
        "derivations (default: **/derivations)",
    )
    parser.addini(
        "derive_extensions",
        type="args",
        default=list(DEFAULT_EXTENSIONS),
        help="file extensions collected as derivations (default: .md .tex)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "derive: a derivation chain checked by derive")
    context = config.getoption("derive_context", None)
    if context and not config.getoption("no_derive", False):
        path = Path(config.invocation_params.dir, context)
        if not path.is_file():
            raise pytest.UsageError(f"--derive-context: no such file: {context}")
        config.option.derive_context = str(path)


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("no_derive", False):
        return None
    paths = " ".join(_patterns(config))
    extensions = " ".join(_extensions(config))
    return f"derive: derivations in {paths} ({extensions})"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> DeriveFile | None:
    config = parent.config
    if config.getoption("no_derive", False):
        return None
    if file_path.suffix.lower() not in _extensions(config):
        return None
    if parent.session.isinitpath(file_path) or _selected(file_path, config):
        return DeriveFile.from_parent(parent, path=file_path)
    return None


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    """``PASSED (1 numeric)`` in ``-v`` for chains with steps that are not proved."""
    if report.when != "call" or not report.passed:
        return None
    counts = Counter(
        str(name)[len("derive-") :]
        for name, _ in (report.user_properties or ())
        if str(name).startswith("derive-")
    )
    if not counts:
        return None
    word = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
    return "passed", ".", (f"PASSED ({word})", {"green": True})


# --------------------------------------------------------------------------
# Which files
# --------------------------------------------------------------------------


def _extensions(config: pytest.Config) -> tuple[str, ...]:
    raw = config.getini("derive_extensions") or list(DEFAULT_EXTENSIONS)
    return tuple(e.lower() if e.startswith(".") else f".{e.lower()}" for e in raw)


def _patterns(config: pytest.Config) -> list[str]:
    return [p.rstrip("/") for p in (config.getini("derive_paths") or DEFAULT_PATHS) if p]


def _selected(file_path: Path, config: pytest.Config) -> bool:
    """The file, or a folder above it, matches a ``derive_paths`` entry."""
    root = config.rootpath
    try:
        relative = file_path.relative_to(root).as_posix()
    except ValueError:
        return False
    parts = relative.split("/")
    candidates = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
    for pattern in _patterns(config):
        if os.path.isabs(pattern):
            try:
                pattern = Path(pattern).relative_to(root).as_posix()
            except ValueError:
                continue
        regex = _glob_regex(pattern)
        if any(regex.fullmatch(c) for c in candidates):
            return True
    return False


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Path globs: ``*`` and ``?`` stay within a folder, ``**`` crosses folders."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append(
                "[^" + re.escape(body[1:]) + "]"
                if body.startswith("!")
                else "[" + re.escape(body) + "]"
            )
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


# --------------------------------------------------------------------------
# Collection nodes
# --------------------------------------------------------------------------


class DerivationFailed(Exception):
    """A chain has steps that do not meet their expectations."""

    def __init__(self, chain: ChainResult) -> None:
        super().__init__(chain.name)
        self.chain = chain


class FileProblems(Exception):
    """The file cannot be read, or has file-level problems."""


class DeriveFile(pytest.File):
    """A derivation document; checked once, on the first item that runs."""

    document: Document | None = None
    unreadable: str | None = None
    _outcome: FileResult | BaseException | None = None

    def _options(self):
        from derive.check import Options

        config = self.config
        options = Options(
            context_file=config.getoption("derive_context", None),
            jobs=config.getoption("derive_jobs", 1) or 1,
        )
        timeout = config.getoption("derive_timeout", None)
        if timeout:
            options.timeout = timeout
        return options

    def collect(self):
        from derive.chain import chain_name
        from derive.check import plan_document
        from derive.read import DocumentError, read_document

        try:
            self.document = read_document(self.path)
        except DocumentError as exc:
            self.unreadable = f"{_shown(exc.path, self.config)}: {exc.message}"
            yield ProblemsItem.from_parent(self, name=FILE_PROBLEMS, line=0)
            return
        problems = plan_document(self.document, self._options()).problems
        if problems:
            yield ProblemsItem.from_parent(self, name=FILE_PROBLEMS, line=problems[0].line)
        taken: set[str] = set()
        for index, raw in enumerate(self.document.chains):
            # the same names, in the same order, as check_documents gives them
            name = chain_name(raw, taken)
            yield DeriveItem.from_parent(self, name=name, line=raw.line, index=index)

    def file_result(self) -> FileResult:
        """The file's result, checking it on first use."""
        if self._outcome is None:
            from derive.check import check_documents

            assert self.document is not None
            try:
                self._outcome = check_documents([self.document], self._options()).files[0]
            except Exception as exc:  # every item of the file reports it
                self._outcome = exc
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome


class _DeriveNode(pytest.Item):
    parent: DeriveFile

    def __init__(self, *, line: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.line = line
        self.add_marker("derive")

    def reportinfo(self):
        return self.path, max(self.line - 1, 0), f"derivation {self.name}"

    def _verbose(self) -> bool:
        return (self.config.getoption("verbose", 0) or 0) > 0


class DeriveItem(_DeriveNode):
    """One chain of a derivation document."""

    def __init__(self, *, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index

    def chain_result(self) -> ChainResult:
        chains = self.parent.file_result().chains
        for chain in chains:
            if chain.name == self.name:
                return chain
        if self.index < len(chains) and chains[self.index].line == self.line:
            return chains[self.index]
        raise LookupError(f"chain {self.name!r} (line {self.line}) is not in the checked file")

    def runtest(self) -> None:
        chain = self.chain_result()
        shown = [s for s in chain.steps if s.verdict in SHOWN_VERDICTS]
        for step in shown:
            self.user_properties.append(
                (
                    f"derive-{step.verdict}",
                    f"line {step.line}: {step.lhs} = {step.rhs} [{step.method}]",
                )
            )
        if not chain.ok:
            raise DerivationFailed(chain)
        if shown:
            from derive.api import explain

            self.add_report_section(
                "call",
                "derive",
                explain(chain, verbose=True, relative_to=self.config.invocation_params.dir),
            )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, DerivationFailed):
            from derive.api import explain

            return explain(
                excinfo.value.chain,
                verbose=self._verbose(),
                relative_to=self.config.invocation_params.dir,
            )
        return super().repr_failure(excinfo, style=style)


class ProblemsItem(_DeriveNode):
    """``<file problems>``: the file cannot be read, or has file-level problems."""

    def runtest(self) -> None:
        if self.parent.unreadable is not None:
            raise FileProblems(self.parent.unreadable)
        result = self.parent.file_result()
        if result.problems:
            from derive.api import explain_problems

            raise FileProblems(
                explain_problems(
                    result.path, result.problems, relative_to=self.config.invocation_params.dir
                )
            )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, FileProblems):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


def _shown(path: str, config: pytest.Config) -> str:
    try:
        return os.path.relpath(path, config.invocation_params.dir)
    except ValueError:
        return path

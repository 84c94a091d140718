"""Which documents a run checks: paths as given, paths read from stdin, git-changed files.

``derive check -`` reads one path a line from standard input (``git diff
--name-only | derive check -``); ``derive check --changed`` asks git for the
``.md``/``.tex`` files that differ from ``HEAD`` (or ``--since REF``), staged
or not, plus new files git does not ignore.  From stdin and from git, paths
that are not documents, or no longer exist (deleted files), are skipped: they
are part of a change, not a mistake.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from derive.check import DOCUMENT_SUFFIXES

GIT_SECONDS = 60


class SelectionError(Exception):
    """The files to check cannot be found out (no git, not a repository, a bad ref)."""


@dataclass
class Selection:
    paths: list[str]
    skipped: list[str] = field(default_factory=list)  # from stdin or git: not documents, gone


def is_document(path: str) -> bool:
    return Path(path).suffix.lower() in DOCUMENT_SUFFIXES


def from_lines(lines: Iterable[str]) -> Selection:
    """Paths one a line (stdin); blank lines ignored, non-documents and missing files skipped."""
    selection = Selection([])
    for raw in lines:
        path = raw.strip()
        if not path:
            continue
        if is_document(path) and Path(path).is_file():
            selection.paths.append(path)
        else:
            selection.skipped.append(path)
    return selection


def _git(args: list[str], cwd: Path) -> str:
    git = shutil.which("git")
    if git is None:
        raise SelectionError("--changed needs git, which is not installed")
    try:
        proc = subprocess.run(
            [git, *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_SECONDS,
            stdin=subprocess.DEVNULL, check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SelectionError(f"git {' '.join(args)} failed: {exc}") from exc
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise SelectionError(f"git {' '.join(args[:2])}: {why}")
    return proc.stdout


def changed(within: Iterable[str] = (), since: str = "HEAD", cwd: str | Path = ".") -> Selection:
    """Documents that differ from ``since`` (working tree and index), and new ones.

    ``within``: only those under these paths (files or folders); default: all."""
    cwd = Path(cwd).resolve()
    if since.startswith("-"):
        raise SelectionError(f"--since: {since!r} is not a git revision")
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    names = _git(["diff", "--name-only", "--no-renames", "-z", since, "--"], top).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z"], top).split("\0")
    roots = [Path(p).resolve() for p in within]
    selection = Selection([])
    for name in dict.fromkeys(n for n in names if n):
        absolute = top / name
        shown = os.path.relpath(absolute, cwd)
        if roots and not any(absolute == r or r in absolute.parents for r in roots):
            continue
        if is_document(name) and absolute.is_file():
            selection.paths.append(shown)
        else:
            selection.skipped.append(shown)
    selection.paths.sort()
    return selection

"""A cache of results for documents that did not change (``.derive-cache/``).

The second ``derive check`` of an unchanged document is served from disk.  The
key is everything a result depends on: the document's bytes and the path it was
given as, the context file it is read with (``--context`` or ``NAME.derive.yaml``),
the options that change verdicts (time bound, seed), derive's version and its
source code, SymPy's and Python's versions.  Change any of them and the
document is checked again.

Entries are JSON (never pickle: a cache folder is data, and loading it must not
run anything), written atomically (a temporary file renamed into place), so
two runs racing each leave a whole entry and a reader never sees half of one.
An entry that cannot be read is a miss.  The folder holds a ``.gitignore`` so it
is not committed by accident, and is pruned to the newest entries.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
import types
import typing
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from derive import __version__
from derive.check import Options, check_documents, collect_documents
from derive.context import find_sidecar
from derive.model import Document, FileResult, RunResult, summarise
from derive.read import read_document
from derive.report.atomic import write_atomic

DEFAULT_FOLDER = ".derive-cache"
FORMAT = 1  # of an entry; part of the key
MAX_ENTRIES = 2000


@cache
def code_fingerprint() -> str:
    """A hash of derive's own source: a new engine never reuses an old result."""
    import sympy

    digest = hashlib.sha256(f"{__version__} {sympy.__version__} {sys.version}".encode())
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")) + sorted(package.rglob("*.json")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


class ResultCache:
    """Results by key in ``folder`` (created on the first store)."""

    def __init__(self, folder: str | Path = DEFAULT_FOLDER) -> None:
        self.folder = Path(folder)

    def key(self, document: Document, raw: bytes, options: Options) -> str:
        context = Path(options.context_file) if options.context_file else find_sidecar(
            document.path
        )
        digest = hashlib.sha256()
        parts: list[bytes] = [
            str(FORMAT).encode(),
            code_fingerprint().encode(),
            document.path.encode("utf-8", "surrogateescape"),
            raw,
            repr((options.timeout, options.seed)).encode(),
        ]
        if context is not None:
            parts += [str(context).encode(), _read(context)]
        for part in parts:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def load(self, key: str) -> FileResult | None:
        try:
            data = json.loads(self._entry(key).read_text(encoding="utf-8"))
            if data.get("key") != key:
                return None
            result = decode(FileResult, data["result"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        return result if isinstance(result, FileResult) else None

    def store(self, key: str, result: FileResult) -> None:
        """Best effort: a cache that cannot be written costs speed, never a result."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                write_atomic(ignore, "# created by derive: results of unchanged documents\n*\n")
            entry = self._entry(key)
            entry.parent.mkdir(exist_ok=True)
            payload = {"key": key, "result": encode(result)}
            write_atomic(entry, json.dumps(payload, ensure_ascii=False))
            self._prune()
        except OSError:
            pass

    def _prune(self) -> None:
        entries = list(self.folder.glob("*/*.json"))
        if len(entries) <= MAX_ENTRIES:
            return
        entries.sort(key=lambda p: p.stat().st_mtime if p.exists() else 0)
        for old in entries[: len(entries) - MAX_ENTRIES]:
            try:
                old.unlink()
            except OSError:
                pass


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b"(unreadable)"


def check_paths_cached(
    paths: Iterable[str | Path], options: Options, cache_folder: str | Path = DEFAULT_FOLDER
) -> RunResult:
    """``derive.check.check_paths`` with the results of unchanged documents from the cache.

    Files served from the cache have ``cached = True``; the others are checked
    together (one worker pool) and stored."""
    started = time.monotonic()
    store = ResultCache(cache_folder)
    files = collect_documents(paths)
    documents = [read_document(path) for path in files]
    keys = [store.key(doc, _read(Path(doc.path)), options) for doc in documents]
    results: list[FileResult | None] = [store.load(key) for key in keys]
    for result in results:
        if result is not None:
            result.cached = True
    missing = [i for i, result in enumerate(results) if result is None]
    if missing:
        fresh = check_documents([documents[i] for i in missing], options)
        for i, result in zip(missing, fresh.files, strict=True):
            results[i] = result
            store.store(keys[i], result)
    done = [r for r in results if r is not None]
    return RunResult(done, summarise(done, time.monotonic() - started))


# --------------------------------------------------------------------------
# dataclasses <-> JSON, by the declared field types (no pickle)
# --------------------------------------------------------------------------


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def decode(kind: Any, data: Any) -> Any:
    """``data`` (from :func:`encode`) back into an instance of the type ``kind``."""
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        values = {
            f.name: decode(hints.get(f.name, Any), data[f.name])
            for f in dataclasses.fields(kind)
            if f.name in data and f.init
        }
        return kind(**values)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return decode(option, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise TypeError(f"no type of {kind} fits {data!r}")
    if origin is list:
        (item,) = typing.get_args(kind) or (Any,)
        return [decode(item, v) for v in _sequence(data)]
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v) for v in _sequence(data))
        items = _sequence(data)
        if args and len(args) != len(items):
            raise TypeError(f"{kind} needs {len(args)} items")
        return tuple(decode(a, v) for a, v in zip(args or [Any] * len(items), items, strict=True))
    if origin is dict:
        key, val = typing.get_args(kind) or (Any, Any)
        if not isinstance(data, dict):
            raise TypeError("not a mapping")
        return {decode(key, k): decode(val, v) for k, v in data.items()}
    if origin is typing.Literal:
        if data not in typing.get_args(kind):
            raise ValueError(f"{data!r} is not one of {typing.get_args(kind)}")
        return data
    if kind is Any:
        return data
    if kind is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if isinstance(kind, type) and not isinstance(data, kind):
        raise TypeError(f"{data!r} is not {kind.__name__}")
    return data


def _sequence(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise TypeError("not a list")
    return data


__all__ = ["DEFAULT_FOLDER", "ResultCache", "check_paths_cached", "code_fingerprint"]

"""Stage 1: documents → chains.

Finds display math in Markdown and LaTeX files, keeps the file line and column
of every expression, reads ``derive:`` annotations and YAML front matter, and
splits each display block into chains (design §2).  Nothing here interprets the
LaTeX of an expression: items keep the text as written.

Public API: :func:`read_document`, :func:`parse_document`, :class:`DocumentError`,
and :func:`split_display` (one display block → chains, usable on its own).

Rules worth knowing (they are pinned by tests/test_document.py):

* Markdown structure comes from markdown-it-py (CommonMark) with the dollarmath
  plugin, so code fences, indented code and inline code are never math.
  Display math is ``$$…$$`` (as a block or inside a paragraph/list item) and
  ``\\[…\\]``; single-dollar ``$…$`` is inline and never checked.
* Math environments written bare in Markdown (``\\begin{align*}`` outside
  ``$$``) are display math too (rule in :mod:`derive.read.bare_math`).
* Punctuation ending the sentence (``.``, ``,``, ``;``, ``\\;.``, ``\\text{.}``)
  at the end of an expression is left out of it.
* A display block is split into rows at top-level ``\\\\`` and each row at
  top-level ``=`` (also ``:=``, ``\\coloneqq``, ``\\overset{…}{=}``) and
  ``\\approx``.  A row with any other top-level relation (``\\Rightarrow``,
  ``\\le``, ``<``, …) or with unbalanced braces becomes a Problem and is skipped.
* Equation chains: ≥ 2 rows, each with exactly one ``=`` and both sides
  non-empty.  Rows of a ``gather`` that are unrelated equations are read the
  same way (the checker then reports the steps that do not follow).
  Their relations are ``"implies"`` (item k+1 is claimed to follow from item k).
* Expression chains: a later row starting with a relation continues the
  chain; a row without any relation continues the previous expression (a long
  expression broken over rows); a row with its own left side and a relation
  starts a new chain in the same block.
* An annotation applies to the next display block in the same section (one
  block only).  One that reaches a heading, another annotation or the end of
  the file unused is reported as a Problem.  In LaTeX, a ``% derive:`` comment
  in the preamble becomes ``front_matter["derive"]``.
"""

from __future__ import annotations

import bisect
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline, backtick, html_inline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.dollarmath.index import math_block_dollar, math_inline_dollar
from mdit_py_plugins.front_matter import front_matter_plugin

from derive import safe_yaml
from derive.model import Document, Problem, RawChain, SourceItem
from derive.read.bare_math import bare_environment

__all__ = ["DocumentError", "read_document", "parse_document", "split_display"]

MAX_BYTES = 5 * 1024 * 1024
TEX_SUFFIXES = {".tex", ".ltx", ".latex"}
FRAGMENT_MAX = 60

# offset in a block's content -> (1-based line, 1-based column; 0 = unknown)
Locate = Callable[[int], tuple[int, int]]


class DocumentError(Exception):
    """The file cannot be read at all (missing, a directory, binary, not UTF-8, too large)."""

    def __init__(self, path: str | Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def read_document(path: str | Path) -> Document:
    """Read a ``.md``/``.tex`` file; raise DocumentError only if it cannot be read at all."""
    text = _read_text(Path(path), str(path))
    kind = "tex" if Path(path).suffix.lower() in TEX_SUFFIXES else "md"
    return parse_document(text, str(path), kind)


def parse_document(text: str, path: str = "<string>", kind: str = "md") -> Document:
    """Find the chains of a document given as a string (``kind``: ``"md"`` or ``"tex"``)."""
    text = _normalise(text)
    if kind in ("md", "markdown"):
        return _MarkdownReader(text, path).read()
    if kind in ("tex", "latex"):
        return _TexReader(text, path).read()
    raise ValueError(f"unknown document kind {kind!r} (expected 'md' or 'tex')")


def _read_text(p: Path, shown: str) -> str:
    if not p.exists():
        raise DocumentError(shown, "no such file")
    if p.is_dir():
        raise DocumentError(shown, "is a directory, not a file")
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise DocumentError(shown, f"file too large ({size} bytes; the limit is 5 MB)")
        data = p.read_bytes()
    except OSError as exc:
        raise DocumentError(shown, f"cannot read: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise DocumentError(shown, "binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DocumentError(
            shown,
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"(line {line}, byte column {column})",
        ) from None


def _normalise(text: str) -> str:
    # Same normalisation markdown-it applies, done first so that our line
    # numbers and markdown-it's agree; NUL keeps its length as U+FFFD.
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _problem_at(
    path: str, locate: Callable[[int], tuple[int, int]], text: str, offset: int, message: str
) -> Problem:
    """A problem at a character offset of the text, with its fragment."""
    line, column = locate(offset)
    return Problem(path, line, message, column, _short(text[offset : offset + FRAGMENT_MAX]))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= FRAGMENT_MAX else text[: FRAGMENT_MAX - 1] + "…"


def _safe_load(text: str) -> Any:
    """Bounded YAML (derive.safe_yaml); errors in short texts are re-read with the
    pure-Python loader, whose error marks give better line numbers."""
    try:
        return safe_yaml.load(text)
    except safe_yaml.YamlTooLarge:
        raise
    except yaml.YAMLError:
        if len(text) > 100_000:  # the slow loader would take many seconds
            raise
        return safe_yaml.load(text, yaml.SafeLoader)


def _yaml_problem(path: str, exc: yaml.YAMLError, first_line: int, what: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = first_line + (mark.line if mark is not None else 0)
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem(path, line, f"invalid YAML in {what}: {reason}")


def _parse_annotation(
    body: str, first_line: int, path: str, where_line: int
) -> tuple[dict[str, Any] | None, Problem | None]:
    """YAML after ``derive:`` → mapping; ``first_line`` is the file line of body line 0."""
    try:
        value = _safe_load(body)
    except yaml.YAMLError as exc:
        return None, _yaml_problem(path, exc, first_line, "derive annotation")
    if value is None:
        return {}, None
    if not isinstance(value, dict):
        return None, Problem(
            path, where_line, "derive annotation is not a YAML mapping", fragment=_short(body)
        )
    return value, None


def _annotation_body(first_rest: str, more_lines: Sequence[str]) -> tuple[str, int]:
    """Join the text after ``derive:`` and the following lines into one YAML text.

    Returns the text and how many lines below the ``derive:`` line it starts."""
    rest = first_rest.strip()
    tail = textwrap.dedent("\n".join(more_lines)).strip("\n")
    if rest:
        return (rest + "\n" + tail if tail else rest), 0
    return tail, 1


@dataclass
class _Pending:
    """An annotation waiting for its display block."""

    data: dict[str, Any]
    line: int


@dataclass
class _Collector:
    """State shared by both readers: problems, chains, section, pending annotation."""

    path: str
    chains: list[RawChain] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sections: list[tuple[int, str]] = field(default_factory=list)
    pending: _Pending | None = None

    def section(self) -> tuple[str, ...]:
        return tuple(title for _, title in self.sections)

    def heading(self, level: int, title: str) -> None:
        self.drop_pending("before the next heading")
        while self.sections and self.sections[-1][0] >= level:
            self.sections.pop()
        self.sections.append((level, title))

    def annotate(self, data: dict[str, Any], line: int) -> None:
        self.drop_pending("before the next annotation")
        self.pending = _Pending(data, line)

    def drop_pending(self, why: str) -> None:
        if self.pending is not None:
            self.problems.append(
                Problem(
                    self.path,
                    self.pending.line,
                    f"derive annotation is not followed by a display block {why}",
                )
            )
            self.pending = None

    def display(self, content: str, locate: Locate, block_line: int) -> None:
        pending, self.pending = self.pending, None
        chains, problems = split_display(
            content,
            locate,
            path=self.path,
            block_line=block_line,
            section=self.section(),
            annotation=pending.data if pending else None,
            annotation_line=pending.line if pending else 0,
        )
        self.chains.extend(chains)
        self.problems.extend(problems)


class _LineMap:
    """Maps offsets in a text made of (possibly de-indented) source lines back to the file.

    ``entries[k]`` = (file line, 0-based column where the stripped content line
    starts in the file line, or -1 if unknown, its leading whitespace length)."""

    def __init__(self, content: str, entries: list[tuple[int, int, int]]) -> None:
        self.starts = [0]
        for k, ch in enumerate(content):
            if ch == "\n":
                self.starts.append(k + 1)
        self.entries = entries

    def __call__(self, offset: int) -> tuple[int, int]:
        k = min(bisect.bisect_right(self.starts, offset) - 1, len(self.entries) - 1)
        line, base, lead = self.entries[k]
        if base < 0:
            return line, 0
        return line, base + max(0, offset - self.starts[k] - lead) + 1


def _locate_lines(content: str, src_lines: list[str], first: int, first_min: int) -> _LineMap:
    """Build a _LineMap for ``content`` whose line k comes from file line ``first + k``.

    A content line is the file line minus a container prefix (indentation, ``>``,
    list marker) and, for the first/last line of ``$$`` math, minus the delimiters."""
    entries = []
    for k, c_line in enumerate(content.split("\n")):
        line_no = first + k
        src = src_lines[line_no - 1] if 0 < line_no <= len(src_lines) else ""
        core = c_line.strip()
        lead = len(c_line) - len(c_line.lstrip())
        lo = first_min if k == 0 else 0
        base = -1
        if core:
            tail = src.rstrip()
            if tail.endswith(core) and len(tail) - len(core) >= lo:
                base = len(tail) - len(core)
            else:
                base = src.find(core, lo)
        entries.append((line_no, base, lead))
    return _LineMap(content, entries)


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------

_DERIVE_COMMENT = re.compile(r"<!--\s*derive:(.*?)-->", re.DOTALL)
_TRACKED = "derive_span"


def _tracked(fn: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """Wrap an inline rule so its tokens remember their (start, end) in the inline source."""

    def rule(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        ok = fn(state, silent)
        if ok and not silent:
            for token in state.tokens[count:]:
                token.meta[_TRACKED] = (start, state.pos)
        return ok

    return rule


def _find_unescaped(src: str, needle: str, pos: int) -> int:
    """Index of ``needle`` at or after ``pos``, skipping ``\\x`` escape pairs."""
    i = pos
    while i < len(src):
        if src.startswith(needle, i):
            return i
        i += 2 if src[i] == "\\" else 1
    return -1


def _bracket_math(state: StateInline, silent: bool) -> bool:
    r"""Inline rule for ``\[ … \]`` (markdown-it would read ``\[`` as an escaped ``[``)."""
    if not state.src.startswith("\\[", state.pos):
        return False
    end = _find_unescaped(state.src, "\\]", state.pos + 2)
    if end < 0:
        return False
    if not silent:
        token = state.push("math_display_bracket", "math", 0)
        token.content = state.src[state.pos + 2 : end]
        token.markup = "\\["
        token.meta[_TRACKED] = (state.pos, end + 2)
    state.pos = end + 2
    return True


_LABEL_SUFFIX = re.compile(r"\s*\([^)$\n]+?\)\s*$")
BlockRule = Callable[[StateBlock, int, int, bool], bool]


def _guarded_block(inner: BlockRule) -> BlockRule:
    """Refuse a ``$$`` block whose first closing ``$$`` has prose after it.

    dollarmath would otherwise run on to the next line that ends with ``$$``
    (``\\end{aligned}$$ where …`` then ``$$x = y$$`` became one block); refused,
    the text is a paragraph and both become inline ``$$`` math."""

    def rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        start = state.bMarks[start_line] + state.tShift[start_line]
        if state.src.startswith("$$", start):
            close = _find_unescaped(state.src, "$$", start + 2)
            if close >= 0:
                eol = state.src.find("\n", close)
                rest = state.src[close + 2 : len(state.src) if eol < 0 else eol]
                if rest.strip() and not _LABEL_SUFFIX.match(rest):
                    return False
        return inner(state, start_line, end_line, silent)

    return rule


def _markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark")
    md.use(front_matter_plugin)
    md.use(dollarmath_plugin, double_inline=True, allow_blank_lines=False)
    # Re-register the inline rules whose token positions we need (markdown-it
    # does not record positions inside a paragraph).
    md.block.ruler.at(
        "math_block", _guarded_block(math_block_dollar(allow_labels=True, allow_blank_lines=False))
    )
    md.inline.ruler.at("math_inline", _tracked(math_inline_dollar(True, True, True)))
    md.inline.ruler.at("backticks", _tracked(backtick))
    md.inline.ruler.at("html_inline", _tracked(html_inline))
    md.inline.ruler.before("escape", "math_display_bracket", _bracket_math)
    md.block.ruler.before("paragraph", "math_environment", bare_environment)
    return md


_MD: MarkdownIt | None = None


def _md() -> MarkdownIt:
    global _MD
    if _MD is None:
        _MD = _markdown_parser()
    return _MD


def _plain_text(inline: Token) -> str:
    """Heading text without Markdown markup (inline math kept as ``$…$``)."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "math_inline":
            parts.append(f"${child.content}$")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    text = "".join(parts).strip()
    return text or inline.content.strip()


class _MarkdownReader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.lines = text.split("\n")  # not splitlines(): only \n ends a line here
        self.out = _Collector(path)
        self.front_matter: dict[str, Any] = {}

    def read(self) -> Document:
        tokens = _md().parse(self.text)
        for i, token in enumerate(tokens):
            if token.type == "front_matter":
                self._front_matter(token)
            elif token.type == "heading_open":
                inline = tokens[i + 1]
                self.out.heading(int(token.tag[1:]), _plain_text(inline))
            elif token.type == "html_block":
                self._html_annotations(token.content, token.map[0] + 1 if token.map else 0)
            elif token.type in ("math_block", "math_block_label"):
                self._math_block(token)
            elif token.type == "math_environment":
                self._bare_environment(token)
            elif token.type == "inline":
                self._inline(token)
        self.out.drop_pending("before the end of the file")
        return Document(self.path, self.text, self.front_matter, self.out.chains, self.out.problems)

    def _front_matter(self, token: Token) -> None:
        try:
            value = _safe_load(token.content)
        except yaml.YAMLError as exc:
            self.out.problems.append(_yaml_problem(self.path, exc, 2, "front matter"))
            return
        if value is None:
            return
        if not isinstance(value, dict):
            self.out.problems.append(Problem(self.path, 1, "front matter is not a YAML mapping"))
            return
        self.front_matter = value

    def _html_annotations(self, html: str, first_line: int) -> None:
        for match in _DERIVE_COMMENT.finditer(html):
            line = first_line + html.count("\n", 0, match.start())
            body_lines = match.group(1).split("\n")
            body, shift = _annotation_body(body_lines[0], body_lines[1:])
            data, problem = _parse_annotation(body, line + shift, self.path, line)
            if problem is not None:
                self.out.problems.append(problem)
            if data is not None:
                self.out.annotate(data, line)

    def _math_block(self, token: Token) -> None:
        assert token.map is not None
        first = token.map[0] + 1
        src = self.lines[first - 1]
        opener = src.find("$$")
        locate = _locate_lines(token.content, self.lines, first, opener + 2)
        self.out.display(token.content, locate, first)

    def _bare_environment(self, token: Token) -> None:
        """``\\begin{align*}…`` outside ``$$``: display math, as every renderer shows it."""
        assert token.map is not None
        first = token.map[0] + 1
        opener = self.lines[first - 1].find("\\begin")
        locate = _locate_lines(token.content, self.lines, first, opener)
        self.out.display(token.content, locate, first)

    def _inline(self, token: Token) -> None:
        if not token.map or not token.children:
            return
        locate = _locate_lines(token.content, self.lines, token.map[0] + 1, 0)
        spans: list[tuple[int, int]] = []
        for child in token.children:
            span = child.meta.get(_TRACKED)
            if span is None:
                continue
            spans.append(span)
            start = span[0]
            if child.type in ("math_inline_double", "math_display_bracket"):
                self.out.display(child.content, _shifted(locate, start + 2), locate(start)[0])
            elif child.type == "html_inline":
                self._html_annotations(child.content, locate(start)[0])
        self._stray_dollars(token.content, spans, locate)

    def _stray_dollars(self, src: str, spans: list[tuple[int, int]], locate: Locate) -> None:
        """``$$`` left in plain text: a display block Markdown structure broke apart."""
        pos = _find_unescaped(src, "$$", 0)
        while pos >= 0:
            if not any(s <= pos < e for s, e in spans):
                self.out.problems.append(
                    _problem_at(
                        self.path,
                        locate,
                        src,
                        pos,
                        "`$$` without a closing `$$` in the same paragraph "
                        "(a blank line or a line starting with `-`, `+`, `#` or `>` ends it)",
                    )
                )
                return
            pos = _find_unescaped(src, "$$", pos + 2)


def _shifted(locate: Locate, base: int) -> Locate:
    return lambda offset: locate(base + offset)


# --------------------------------------------------------------------------
# LaTeX
# --------------------------------------------------------------------------

_TEX_DISPLAY_ENVS = {
    "equation",
    "equation*",
    "align",
    "align*",
    "gather",
    "gather*",
    "multline",
    "multline*",
    "eqnarray",
    "eqnarray*",
    "flalign",
    "flalign*",
    "alignat",
    "alignat*",
    "displaymath",
}
_TEX_VERBATIM_ENVS = {"verbatim", "verbatim*", "lstlisting", "minted", "comment", "Verbatim"}
_TEX_SECTIONS = {"chapter": 0, "section": 1, "subsection": 2, "subsubsection": 3}
_BEGIN_ENV = re.compile(r"\\begin\s*\{([^{}]*)\}")
_VERB = re.compile(r"\\verb\*?([^a-zA-Z\s*])")


@dataclass
class _Comment:
    line: int
    offset: int  # offset of the % in the file
    text: str  # after the %
    whole_line: bool  # nothing but whitespace before the %


def _read_command(s: str, i: int) -> int:
    """``s[i] == '\\'``: index just after the command name."""
    j = i + 1
    if j < len(s) and s[j].isalpha():
        while j < len(s) and s[j].isalpha():
            j += 1
        return j
    return min(j + 1, len(s))


def _group(s: str, i: int) -> tuple[str, int] | None:
    """A ``{…}`` group starting at ``i`` (after optional spaces): (inner text, index after)."""
    while i < len(s) and s[i] in " \t\n":
        i += 1
    if i >= len(s) or s[i] != "{":
        return None
    depth, j = 0, i
    while j < len(s):
        if s[j] == "\\":
            j += 2
            continue
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return s[i + 1 : j], j + 1
        j += 1
    return None


def _strip_tex_comments(text: str) -> tuple[str, list[_Comment]]:
    """Blank out comments and verbatim material, keeping every offset."""
    out = list(text)
    comments: list[_Comment] = []
    i, line, line_start = 0, 1, 0
    n = len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
            i += 1
        elif ch == "\\":
            env = _BEGIN_ENV.match(text, i)
            verb = _VERB.match(text, i)
            if env and env.group(1).strip() in _TEX_VERBATIM_ENVS:
                end = text.find(f"\\end{{{env.group(1)}}}", env.end())
                stop = n if end < 0 else end + len(env.group(1)) + 6
                blank(i, stop)
                line += text.count("\n", i, stop)
                line_start = text.rfind("\n", 0, stop) + 1
                i = stop
            elif verb:
                end = text.find(verb.group(1), verb.end())
                stop = verb.end() if end < 0 or "\n" in text[verb.end() : end] else end + 1
                blank(i, stop)
                i = stop
            else:
                i += 2
        elif ch == "%":
            end = text.find("\n", i)
            end = n if end < 0 else end
            whole = not text[line_start:i].strip()
            comments.append(_Comment(line, i, text[i + 1 : end], whole))
            blank(i, end)
            i = end
        else:
            i += 1
    return "".join(out), comments


class _TexReader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.out = _Collector(path)
        self.front_matter: dict[str, Any] = {}
        self.line_starts = [0] + [k + 1 for k, ch in enumerate(text) if ch == "\n"]

    def locate(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.line_starts, offset) - 1
        return k + 1, offset - self.line_starts[k] + 1

    def read(self) -> Document:
        clean, comments = _strip_tex_comments(self.text)
        begin = re.search(r"\\begin\s*\{document\}", clean)
        body_start = begin.end() if begin else 0
        end = re.search(r"\\end\s*\{document\}", clean)
        body_end = end.start() if end else len(clean)
        # Events in file order: (offset, order, callback)
        events: list[tuple[int, int, Callable[[], None]]] = []
        for offset, data, line in self._annotations(comments):
            if offset < body_start:
                self.front_matter.setdefault("derive", data)
            elif offset < body_end:
                events.append((offset, 0, self._annotate_cb(data, line)))
        events.extend(self._scan(clean, body_start, body_end))
        for _, _, callback in sorted(events, key=lambda e: (e[0], e[1])):
            callback()
        self.out.drop_pending("before the end of the file")
        return Document(self.path, self.text, self.front_matter, self.out.chains, self.out.problems)

    def _annotate_cb(self, data: dict[str, Any], line: int) -> Callable[[], None]:
        return lambda: self.out.annotate(data, line)

    def _annotations(self, comments: list[_Comment]) -> list[tuple[int, dict[str, Any], int]]:
        found = []
        by_line = {c.line: c for c in comments}
        for c in comments:
            stripped = c.text.strip()
            if not stripped.startswith("derive:"):
                continue
            rest = stripped[len("derive:") :]
            more: list[str] = []
            if not rest.strip():
                # Block YAML on the following whole-line comments.
                nxt = by_line.get(c.line + 1)
                while nxt and nxt.whole_line and not nxt.text.strip().startswith("derive:"):
                    more.append(nxt.text)
                    nxt = by_line.get(nxt.line + 1)
            body, shift = _annotation_body(rest, more)
            data, problem = _parse_annotation(body, c.line + shift, self.path, c.line)
            if problem is not None:
                self.out.problems.append(problem)
            if data is not None:
                found.append((c.offset, data, c.line))
        return found

    def _scan(self, s: str, start: int, stop: int) -> list[tuple[int, int, Callable[[], None]]]:
        events: list[tuple[int, int, Callable[[], None]]] = []
        i = start
        while i < stop:
            ch = s[i]
            if ch == "$":
                i = self._dollar(s, i, stop, events)
            elif ch == "\\":
                j = _read_command(s, i)
                name = s[i + 1 : j]
                if name == "[":
                    j = self._block(s, i, j, "\\]", stop, events)
                elif name == "begin":
                    j = self._environment(s, i, j, stop, events)
                elif name in _TEX_SECTIONS:
                    j = self._section(s, i, j, name, events)
                i = j
            else:
                i += 1
        return events

    def _dollar(self, s: str, i: int, stop: int, events: list) -> int:
        if s.startswith("$$", i):
            return self._block(s, i, i + 2, "$$", stop, events)
        end = _find_unescaped(s, "$", i + 1)  # inline $…$: skipped, not checked
        return i + 1 if end < 0 or end >= stop else end + 1

    def _block(
        self, s: str, opener: int, content_start: int, closer: str, stop: int, events: list
    ) -> int:
        end = _find_unescaped(s, closer, content_start)
        if end < 0 or end >= stop:
            self.out.problems.append(
                _problem_at(
                    self.path,
                    self.locate,
                    s,
                    opener,
                    f"display math opened here is never closed with `{closer}`",
                )
            )
            return content_start
        self._add_block(s, opener, content_start, end, events)
        return end + len(closer)

    def _environment(self, s: str, i: int, j: int, stop: int, events: list) -> int:
        group = _group(s, j)
        if group is None:
            return j
        env, after = group[0].strip(), group[1]
        if env not in _TEX_DISPLAY_ENVS:
            return j
        if env.startswith("alignat"):  # \begin{alignat}{2}
            arg = _group(s, after)
            after = arg[1] if arg else after
        pattern = re.compile(r"\\(begin|end)\s*\{" + re.escape(env) + r"\}")
        depth, pos = 1, after
        for match in pattern.finditer(s, after, stop):
            depth += 1 if match.group(1) == "begin" else -1
            if depth == 0:
                self._add_block(s, i, after, match.start(), events)
                return match.end()
            pos = match.end()
        self.out.problems.append(
            _problem_at(self.path, self.locate, s, i, f"\\begin{{{env}}} is never closed")
        )
        return max(pos, after)

    def _add_block(self, s: str, opener: int, start: int, end: int, events: list) -> None:
        content = s[start:end]
        block_line = self.locate(opener)[0]

        def run() -> None:
            self.out.display(content, lambda o: self.locate(start + o), block_line)

        events.append((opener, 1, run))

    def _section(self, s: str, i: int, j: int, name: str, events: list) -> int:
        k = j
        if k < len(s) and s[k] == "*":
            k += 1
        opt = re.match(r"\s*\[[^\]]*\]", s[k:])
        if opt:
            k += opt.end()
        group = _group(s, k)
        if group is None:
            return j
        title = " ".join(group[0].split())
        level = _TEX_SECTIONS[name]
        events.append((i, 1, lambda: self.out.heading(level, title)))
        return group[1]


# --------------------------------------------------------------------------
# Display block → chains
# --------------------------------------------------------------------------

# Environments whose markup is stripped from a display block: every display
# environment, plus the ones that only live inside display math.
_WRAPPER_ENVS = _TEX_DISPLAY_ENVS | {"aligned", "alignedat", "gathered", "split"}
_DROP_WITH_ARG = {"label", "tag", "intertext", "shortintertext"}
_DROP_PLAIN = {"nonumber", "notag"}
_APPROX = {"approx"}
_EQUALS = {"coloneqq", "eqqcolon"}
_STACKED = {"overset", "stackrel", "underset"}
_UNSUPPORTED = {
    "Rightarrow",
    "Leftarrow",
    "Leftrightarrow",
    "Longrightarrow",
    "Longleftarrow",
    "Longleftrightarrow",
    "implies",
    "impliedby",
    "iff",
    "to",
    "rightarrow",
    "leftarrow",
    "leftrightarrow",
    "mapsto",
    "longrightarrow",
    "le",
    "leq",
    "leqq",
    "leqslant",
    "ge",
    "geq",
    "geqq",
    "geqslant",
    "lt",
    "gt",
    "ne",
    "neq",
    "equiv",
    "sim",
    "simeq",
    "cong",
    "propto",
    "approxeq",
    "doteq",
    "triangleq",
    "ll",
    "gg",
    "in",
    "notin",
    "subset",
    "subseteq",
    "supset",
    "supseteq",
    "therefore",
    "because",
}
_ROW_SPACING = re.compile(r"\*?\s*\[\s*-?[\d.]+\s*[a-z]{2}\s*\]")


@dataclass
class _Masked:
    """A block's content with wrappers, labels, ``&`` … blanked (offsets unchanged)."""

    orig: str
    work: str  # what the splitter scans
    deleted: list[bool]  # characters left out of item text

    def text(self, start: int, end: int) -> str:
        return "".join(self.orig[k] for k in range(start, end) if not self.deleted[k]).strip()

    def first(self, start: int, end: int) -> int:
        """Offset of the first character of the item text in [start, end), or -1."""
        for k in range(start, end):
            if not self.deleted[k] and not self.orig[k].isspace():
                return k
        return -1


def _mask(content: str, respect_braces: bool = True) -> _Masked:
    """Blank what is not part of any expression; with unbalanced braces (one bad
    row), ``&`` and ``\\\\`` count at any brace depth so the other rows survive."""
    work = list(content)
    deleted = [False] * len(content)

    def drop(a: int, b: int, keep_work: bool = False) -> None:
        for k in range(a, b):
            deleted[k] = True
            if not keep_work and work[k] != "\n":
                work[k] = " "

    brace = env = leftright = 0
    i = 0
    while i < len(content):
        ch = content[i]
        if ch == "\\":
            j = _read_command(content, i)
            name = content[i + 1 : j]
            flat = brace == 0 or not respect_braces
            top = flat and env == 0 and leftright == 0
            if name in ("begin", "end"):
                group = _group(content, j)
                env_name = group[0].strip() if group else ""
                if group and env_name in _WRAPPER_ENVS and (top or name == "end" and env == 0):
                    stop = group[1]
                    if name == "begin":
                        extra = re.match(r"\s*(\[[a-z]\]|\{\d+\})", content[stop:])
                        stop += extra.end() if extra else 0
                    drop(i, stop)
                    j = stop
                elif group:
                    env += 1 if name == "begin" else -1
                    env = max(env, 0)
                    j = group[1]
            elif name in _DROP_WITH_ARG:
                k = j + 1 if content.startswith("*", j) else j
                group = _group(content, k)
                j = group[1] if group else k
                drop(i, j)
            elif name in _DROP_PLAIN:
                drop(i, j)
            elif name == "\\" and flat and env == 0:
                spacing = _ROW_SPACING.match(content, j)
                drop(i, j, keep_work=True)  # rows are split on it later
                if spacing:
                    drop(j, spacing.end())
                    j = spacing.end()
            elif name == "left":
                leftright += 1
            elif name == "right":
                leftright = max(0, leftright - 1)
            i = j
            continue
        if ch == "{":
            brace += 1
        elif ch == "}":
            brace -= 1
        elif ch == "&" and (brace <= 0 or not respect_braces) and env == 0:
            drop(i, i + 1)
        i += 1
    return _Masked(content, "".join(work), deleted)


def _row_breaks(work: str, respect_braces: bool) -> list[tuple[int, int]]:
    """Spans of the rows between top-level ``\\\\``."""
    rows, start = [], 0
    brace = env = 0
    i = 0
    while i < len(work):
        ch = work[i]
        if ch == "\\":
            j = _read_command(work, i)
            name = work[i + 1 : j]
            if name == "\\" and env == 0 and (brace == 0 or not respect_braces):
                rows.append((start, i))
                start = j
            elif name in ("begin", "end"):
                env = max(0, env + (1 if name == "begin" else -1))
            i = j
            continue
        if ch == "{":
            brace += 1
        elif ch == "}":
            brace -= 1
        i += 1
    rows.append((start, len(work)))
    return rows


def _balanced(work: str) -> bool:
    depth = 0
    i = 0
    while i < len(work):
        if work[i] == "\\":
            i = _read_command(work, i)
            continue
        depth += {"{": 1, "}": -1}.get(work[i], 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0


@dataclass
class _Row:
    start: int
    end: int
    cuts: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, relation)
    error: tuple[int, str, str] | None = None  # (offset, message, fragment)
    # line of the row just before this one when that row could not be read (0: none):
    # nothing here is claimed from what came before it (the lost row may carry `\ge`)
    after_gap: int = 0


def _skip_delimiter(s: str, j: int) -> int:
    """After ``\\left``/``\\right``: index after the delimiter."""
    while j < len(s) and s[j] in " \t\n":
        j += 1
    if j < len(s) and s[j] == "\\":
        return _read_command(s, j)
    return min(j + 1, len(s))


def _scan_row(work: str, start: int, end: int) -> _Row:
    """Find the top-level relations of one row (outside braces, brackets, environments)."""
    row = _Row(start, end)
    brace = paren = env = 0
    i = start
    while i < end:
        ch = work[i]
        top = brace == 0 and paren == 0 and env == 0
        if ch == "\\":
            j = _read_command(work, i)
            name = work[i + 1 : j]
            if name == "{":
                paren += 1
            elif name == "}":
                paren = max(0, paren - 1)
            elif name == "left":
                paren, j = paren + 1, _skip_delimiter(work, j)
            elif name == "right":
                paren, j = max(0, paren - 1), _skip_delimiter(work, j)
            elif name in ("begin", "end"):
                group = _group(work, j)
                env = max(0, env + (1 if name == "begin" else -1))
                j = group[1] if group else j
            elif top and (name in _APPROX or name in _EQUALS):
                row.cuts.append((i, j, "approx" if name in _APPROX else "="))
            elif top and name in _STACKED:
                j = _stacked_relation(work, i, j, row)
            elif top and name in _UNSUPPORTED and row.error is None:
                row.error = (i, f"unsupported relation `\\{name}`", work[i:j])
            i = j
            continue
        if ch == "{":
            brace += 1
        elif ch == "}":
            brace -= 1
            if brace < 0 and row.error is None:
                row.error = (i, "unbalanced braces: `}` without `{`", "")
            brace = max(brace, 0)
        elif ch in "([":
            paren += 1
        elif ch in ")]":
            paren = max(0, paren - 1)  # lenient: half-open intervals like [0, 1)
        elif top:
            i = _plain_relation(work, i, end, row)
            continue
        i += 1
    if brace != 0 and row.error is None:
        row.error = (start, "unbalanced braces: `{` without `}`", "")
    return row


def _plain_relation(work: str, i: int, end: int, row: _Row) -> int:
    """``=``, ``:=``, ``==``, ``=:`` split; ``<``, ``>``, ``<=``, ``!=`` are unsupported."""
    ch, nxt = work[i], work[i + 1] if i + 1 < end else ""
    if ch == ":" and nxt == "=":
        row.cuts.append((i, i + 2, "="))
        return i + 2
    if ch in "<>!" and nxt == "=" or ch in "<>":
        j = i + 2 if nxt == "=" else i + 1
        if row.error is None:
            hint = " (write `n! =` with a space for a factorial)" if ch == "!" else ""
            row.error = (i, f"unsupported relation `{work[i:j]}`{hint}", work[i:j])
        return j
    if ch == "=":
        j = i + 2 if nxt in ("=", ":") else i + 1
        row.cuts.append((i, j, "="))
        return j
    return i + 1


def _stacked_relation(work: str, i: int, j: int, row: _Row) -> int:
    r"""``\overset{(1)}{=}``: a relation with a note above it."""
    first = _group(work, j)
    second = _group(work, first[1]) if first else None
    if second is None:
        return j
    inner = second[0].strip()
    if inner == "=":
        row.cuts.append((i, second[1], "="))
    elif inner == "\\approx":
        row.cuts.append((i, second[1], "approx"))
    return second[1]


@dataclass
class _Item:
    pieces: list[tuple[int, int]]


@dataclass
class _Draft:
    items: list[_Item]
    relations: list[str]


def split_display(
    content: str,
    locate: Locate,
    *,
    path: str = "<string>",
    block_line: int = 0,
    section: tuple[str, ...] = (),
    annotation: dict[str, Any] | None = None,
    annotation_line: int = 0,
) -> tuple[list[RawChain], list[Problem]]:
    """Split the content of one display block (without its delimiters) into chains.

    ``locate`` maps an offset in ``content`` to its (line, column) in the file."""
    problems: list[Problem] = []
    unmatched = _unmatched_wrapper(content)
    if unmatched is not None:  # as in LaTeX files: the block is reported, not guessed at
        offset, message = unmatched
        line, column = locate(offset)
        problems.append(
            Problem(path, line, message, column, _short(content[offset : offset + FRAGMENT_MAX]))
        )
        return [], problems
    balanced = _balanced(content)
    masked = _mask(content, respect_braces=balanced)
    rows: list[_Row] = []
    gap = 0  # line of the last unread row, until a row is read
    for start, end in _row_breaks(masked.work, respect_braces=balanced):
        if masked.first(start, end) < 0:
            continue  # empty row, e.g. after a trailing \\
        row = _scan_row(masked.work, start, end)
        if row.error is not None:
            offset, message, fragment = row.error
            if offset == start:
                offset = masked.first(start, end)  # point at the row's text, not its break
            line, column = locate(offset)
            problems.append(
                Problem(path, line, message, column, _short(fragment or masked.text(start, end)))
            )
            gap = line
            continue
        row.after_gap, gap = gap, 0
        leads_with_relation = bool(row.cuts) and masked.first(start, row.cuts[0][0]) < 0
        if row.after_gap and leads_with_relation:
            # `&= e` after an unread row: its left side is the lost row, so the step
            # into it is not checked, and says so instead of vanishing
            line, column = locate(masked.first(start, end))
            problems.append(Problem(
                path, line,
                f"step not checked: it continues line {row.after_gap}, which could not be read",
                column, _short(masked.text(start, end)),
            ))
        rows.append(row)

    # Each run of rows between unread rows is cut on its own: a chain never
    # continues across a row that was reported, nor is one run a premise of the next.
    chains: list[RawChain] = []
    for run in _runs_between_gaps(rows):
        if _is_equation_block(run, masked):
            items = [_Item([(r.start, r.end)]) for r in run]
            drafts = [_Draft(items, ["implies"] * (len(run) - 1))]
            kind = "equations"
        else:
            drafts = _expression_drafts(run, masked)
            kind = "expressions"
        for draft in drafts:
            chain = _finish(draft, kind, masked, locate, path)
            if chain is not None:
                chains.append(chain)
    label = str(annotation.get("id", "") or "") if annotation else ""
    for n, chain in enumerate(chains):
        chain.section = section
        chain.block_line = block_line
        chain.annotation = annotation
        chain.annotation_line = annotation_line if annotation is not None else 0
        chain.label = label if not label or n == 0 else f"{label}-{n + 1}"
    return chains, problems


def _unmatched_wrapper(content: str) -> tuple[int, str] | None:
    """(offset, message) of a ``\\begin{aligned}`` never closed or an ``\\end`` never opened."""
    opened: list[tuple[int, str]] = []
    i = 0
    while i < len(content):
        if content[i] != "\\":
            i += 1
            continue
        j = _read_command(content, i)
        if content[i + 1 : j] in ("begin", "end"):
            group = _group(content, j)
            env = group[0].strip() if group else ""
            if env in _WRAPPER_ENVS:
                if content[i + 1 : j] == "begin":
                    opened.append((i, env))
                elif opened and opened[-1][1] == env:
                    opened.pop()
                else:
                    return i, f"\\end{{{env}}} without \\begin{{{env}}}"
                j = group[1]  # type: ignore[index]
        i = j
    if opened:
        offset, env = opened[-1]
        return offset, f"\\begin{{{env}}} is never closed"
    return None


def _is_equation_block(rows: list[_Row], masked: _Masked) -> bool:
    if len(rows) < 2:
        return False
    for row in rows:
        if len(row.cuts) != 1 or row.cuts[0][2] != "=":
            return False
        cut_start, cut_end, _ = row.cuts[0]
        if masked.first(row.start, cut_start) < 0 or masked.first(cut_end, row.end) < 0:
            return False
    return True


def _runs_between_gaps(rows: list[_Row]) -> list[list[_Row]]:
    runs: list[list[_Row]] = []
    for row in rows:
        if not runs or row.after_gap:
            runs.append([])
        runs[-1].append(row)
    return runs


def _expression_drafts(rows: list[_Row], masked: _Masked) -> list[_Draft]:
    drafts: list[_Draft] = []
    current: _Draft | None = None
    for row in rows:
        bounds = [row.start] + [c[1] for c in row.cuts]
        ends = [c[0] for c in row.cuts] + [row.end]
        segments = [_Item([(a, b)]) for a, b in zip(bounds, ends, strict=True)]
        relations = [c[2] for c in row.cuts]
        leads_with_relation = bool(row.cuts) and masked.first(row.start, row.cuts[0][0]) < 0
        if current is not None and not relations:
            current.items[-1].pieces.extend(segments[0].pieces)  # expression broken over rows
        elif current is not None and leads_with_relation:
            current.items[-1].pieces.extend(segments[0].pieces)
            current.items.extend(segments[1:])
            current.relations.extend(relations)
        else:
            current = _Draft(segments, relations)  # a row with its own left side
            drafts.append(current)
    return drafts


# Punctuation that ends the sentence a display belongs to (AMS style ends every
# display this way): `.`, `,`, `;`, with the spacing written before it (`\;.`) or
# as `\text{.}`.  No formula ends in one of these, so it is never part of one.
_SENTENCE_END = re.compile(
    r"(?:\\[,;:!> ]|\\q?quad|~|\s)*(?:(?<!\\)[.,;]|\\text\{\s*[.,;]\s*\})(?:\\[,;:! ]|\s)*$"
)


def _without_sentence_end(text: str) -> str:
    return _SENTENCE_END.sub("", text).rstrip()


def _finish(
    draft: _Draft, kind: str, masked: _Masked, locate: Locate, path: str
) -> RawChain | None:
    items: list[SourceItem] = []
    relations: list[str] = []
    for n, item in enumerate(draft.items):
        texts = [masked.text(a, b) for a, b in item.pieces]
        text = _without_sentence_end(" ".join(t for t in texts if t))
        if not text:
            continue  # empty expression (trailing `=` or `\\`): dropped, not an error
        offset = next(f for f in (masked.first(a, b) for a, b in item.pieces) if f >= 0)
        line, column = locate(offset)
        if items:
            relations.append(draft.relations[n - 1])
        items.append(SourceItem(text, line, column))
    if len(items) < 2:
        return None  # a single expression claims nothing
    return RawChain(
        path=path,
        line=items[0].line,
        kind=kind,  # type: ignore[arg-type]
        items=items,
        relations=relations,
    )

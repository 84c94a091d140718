"""Markdown → :class:`~derive.report.outline.Outline`, through markdown-it-py.

CommonMark with GitHub's tables and strikethrough, ``$…$`` / ``$$…$$`` math
(mdit-py-plugins' dollarmath), ``\\(…\\)`` and ``\\[…\\]``, and LaTeX
environments written bare in the Markdown (``\\begin{align*}`` … as MathJax,
KaTeX, Jupyter and Obsidian render them).  Front matter and HTML comments (where
derive's annotations live) are invisible, as they are when the note is rendered.

Line numbers are the file's, 1-based; inside a paragraph each piece of math
gets the line it starts on, from its position in the paragraph's source.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from derive.read.bare_math import bare_environment
from derive.report.outline import (
    Block,
    Break,
    Code,
    CodeBlock,
    Display,
    Heading,
    HtmlBlock,
    Image,
    Inline,
    Link,
    ListBlock,
    Math,
    Outline,
    Paragraph,
    Quote,
    RawHtml,
    Rule,
    Styled,
    Table,
    Text,
    display,
)

_SPAN = "derive_report_span"  # (start, end) of an inline token in its paragraph's source


def _find_unescaped(src: str, needle: str, pos: int) -> int:
    i = pos
    while i < len(src):
        if src.startswith(needle, i):
            return i
        i += 2 if src[i] == "\\" else 1
    return -1


def _delimited(opener: str, closer: str, kind: str) -> Callable[[StateInline, bool], bool]:
    """Inline rule for ``\\(…\\)`` or ``\\[…\\]`` (markdown-it reads ``\\(`` as an escape)."""

    def rule(state: StateInline, silent: bool) -> bool:
        if not state.src.startswith(opener, state.pos):
            return False
        end = _find_unescaped(state.src, closer, state.pos + 2)
        if end < 0:
            return False
        if not silent:
            token = state.push(kind, "math", 0)
            token.content = state.src[state.pos + 2 : end]
            token.meta[_SPAN] = (state.pos, end + 2)
        state.pos = end + 2
        return True

    return rule


def _tracked(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    def tracked(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        ok = rule(state, silent)
        if ok and not silent:
            for token in state.tokens[count:]:
                token.meta.setdefault(_SPAN, (start, state.pos))
        return ok

    return tracked


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"linkify": False}).enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    md.use(dollarmath_plugin, double_inline=True, allow_blank_lines=False)
    md.block.ruler.before("paragraph", "math_environment", bare_environment)
    for name in ("math_inline", "backticks", "html_inline"):
        rule = next(r for r in md.inline.ruler.__rules__ if r.name == name).fn
        md.inline.ruler.at(name, _tracked(rule))
    md.inline.ruler.before(
        "escape", "math_display_bracket", _delimited("\\[", "\\]", "math_display_bracket")
    )
    md.inline.ruler.before(
        "escape", "math_inline_paren", _delimited("\\(", "\\)", "math_inline_paren")
    )
    return md


_MD: MarkdownIt | None = None


def read_markdown(text: str) -> Outline:
    global _MD
    if _MD is None:
        _MD = _parser()
    tokens = _MD.parse(text)
    blocks, _ = _blocks(tokens, 0, len(tokens), text.split("\n"))
    return Outline(blocks, "md")


# --------------------------------------------------------------------------
# blocks
# --------------------------------------------------------------------------


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def _close_index(tokens: list[Token], i: int) -> int:
    """Index of the token closing ``tokens[i]`` (same nesting level)."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _blocks(tokens: list[Token], i: int, stop: int, lines: list[str]) -> tuple[list[Block], int]:
    out: list[Block] = []
    while i < stop:
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
            out.append(Heading(level, _inlines(tokens[i + 1], _line(token)), _line(token)))
            i += 3
        elif kind == "paragraph_open":
            out.append(Paragraph(_inlines(tokens[i + 1], _line(token)), _line(token)))
            i += 3
        elif kind in ("bullet_list_open", "ordered_list_open"):
            close = _close_index(tokens, i)
            items: list[list[Block]] = []
            j = i + 1
            while j < close:
                if tokens[j].type == "list_item_open":
                    item_close = _close_index(tokens, j)
                    item, _ = _blocks(tokens, j + 1, item_close, lines)
                    items.append(item)
                    j = item_close + 1
                else:
                    j += 1
            start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 1
            out.append(ListBlock(kind == "ordered_list_open", items, _line(token), start))
            i = close + 1
        elif kind == "blockquote_open":
            close = _close_index(tokens, i)
            inner, _ = _blocks(tokens, i + 1, close, lines)
            out.append(Quote(inner, _line(token)))
            i = close + 1
        elif kind in ("fence", "code_block"):
            out.append(CodeBlock(token.content, _line(token), token.info.strip()))
            i += 1
        elif kind == "html_block":
            if not _only_comments(token.content):
                out.append(HtmlBlock(token.content, _line(token)))
            i += 1
        elif kind == "hr":
            out.append(Rule(_line(token)))
            i += 1
        elif kind in ("math_block", "math_block_label", "math_environment"):
            out.append(_block_display(token, lines))
            i += 1
        elif kind == "table_open":
            close = _close_index(tokens, i)
            out.append(_table(tokens[i:close + 1], _line(token)))
            i = close + 1
        else:  # front matter, anything unknown: not part of the rendered note
            i += 1
    return out, i


def _only_comments(html: str) -> bool:
    return not re.sub(r"<!--.*?-->", "", html, flags=re.S).strip()


def _block_display(token: Token, lines: list[str]) -> Display:
    first, last = token.map if token.map else (0, 1)
    content = token.content
    if token.type == "math_environment":
        return display(content, first + 1, last, first + 1)
    # $$ on its own line: the content starts on the next one
    opener = lines[first] if first < len(lines) else ""
    after = opener.split("$$", 1)[1] if "$$" in opener else ""
    content_line = first + 1 if after.strip() else first + 2
    return display(content.strip("\n"), first + 1, last, content_line)


def _table(tokens: list[Token], line: int) -> Table:
    header: list[list[Inline]] = []
    rows: list[list[list[Inline]]] = []
    current: list[list[Inline]] | None = None
    in_head = False
    for token in tokens:
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            current = []
        elif token.type == "tr_close" and current is not None:
            if in_head:
                header = current
            else:
                rows.append(current)
            current = None
        elif token.type == "inline" and current is not None:
            current.append(_inlines(token, _line(token) or line))
    return Table(header, rows, line)


# --------------------------------------------------------------------------
# inline content
# --------------------------------------------------------------------------

def _inlines(token: Token, first_line: int) -> list[Inline]:
    source = token.content
    children = token.children or []
    stack: list[list[Inline]] = [[]]
    opened: list[Styled | Link] = []
    line = first_line
    for child in children:
        kind = child.type
        span = child.meta.get(_SPAN)
        if span is not None:
            line = first_line + source[: span[0]].count("\n")
        here = stack[-1]
        if kind == "text":
            here.append(Text(child.content))
        elif kind in ("softbreak", "hardbreak"):
            here.append(Break(kind == "hardbreak"))
            line += 1
        elif kind == "code_inline":
            here.append(Code(child.content))
        elif kind in ("math_inline", "math_inline_paren"):
            here.append(Math(child.content))
        elif kind in ("math_inline_double", "math_display_bracket"):
            block = display(child.content.strip(), line, line + child.content.count("\n"),
                            line + _leading_newlines(child.content))
            block.inline = span is not None and _amid_prose(source, span)
            here.append(block)
        elif kind == "html_inline":
            if not child.content.startswith("<!--"):
                here.append(RawHtml(child.content))
        elif kind == "image":
            alt = "".join(c.content for c in child.children or [])
            here.append(Image(str(child.attrGet("src") or ""), alt or child.content))
        elif kind in ("strong_open", "em_open", "s_open", "link_open"):
            node: Styled | Link
            if kind == "link_open":
                node = Link(str(child.attrGet("href") or ""))
            else:
                node = Styled({"strong_open": "strong", "em_open": "em"}.get(kind, "strike"))
            here.append(node)
            opened.append(node)
            stack.append(node.children)
        elif kind in ("strong_close", "em_close", "s_close", "link_close"):
            if len(stack) > 1:
                stack.pop()
                opened.pop()
        else:
            here.append(Text(child.content))
    return stack[0]


def _amid_prose(source: str, span: tuple[int, int]) -> bool:
    """Text before or after the math on its own lines: the math sits inside a sentence."""
    start, end = span
    before = source[source.rfind("\n", 0, start) + 1 : start]
    after_end = source.find("\n", end)
    after = source[end : len(source) if after_end < 0 else after_end]
    return bool(before.strip() or after.strip(" \t.,;:"))


def _leading_newlines(content: str) -> int:
    return len(content) - len(content.lstrip("\n")) if content.strip() else 0


__all__ = ["read_markdown"]

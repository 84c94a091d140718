"""LaTeX → :class:`~derive.report.outline.Outline`: the ``.tex`` prose as text, its math as math.

Not a TeX engine: a reader of what a ``.tex`` note shows.  Sectioning commands
become headings, display environments (``equation``, ``align``, ``\\[…\\]``,
``$$…$$`` …) become display blocks cut into rows, ``itemize``/``enumerate``
become lists, other environments (``theorem``, ``proof``) keep their body
under their name, ``verbatim`` is code.  In prose, ``$…$`` and ``\\(…\\)`` are
math, ``\\textbf``/``\\emph``/``\\texttt``/``\\url``/``\\href`` are what they say,
references and citations show their key, and other commands show their
argument (or nothing).  Comments are dropped; line numbers are the file's.
Bounded: every loop advances, and nesting is cut at a fixed depth.
"""

from __future__ import annotations

import bisect
import re

from derive.report.outline import (
    Block,
    Break,
    Code,
    CodeBlock,
    Environment,
    Heading,
    Inline,
    Link,
    ListBlock,
    Math,
    Outline,
    Paragraph,
    Styled,
    Text,
    display,
)

MAX_DEPTH = 12
SECTIONS = {"part": 1, "chapter": 1, "section": 2, "subsection": 3, "subsubsection": 4,
            "paragraph": 5, "subparagraph": 6}
DISPLAY_ENVIRONMENTS = frozenset(
    """equation equation* align align* gather gather* multline multline* eqnarray eqnarray*
    flalign flalign* alignat alignat* displaymath math dmath dmath*""".split()
)
LISTS = {"itemize": False, "enumerate": True, "description": False}
CODE = frozenset("verbatim verbatim* lstlisting minted Verbatim comment".split())
REFERENCES = frozenset("ref eqref cref Cref autoref pageref nameref".split())
CITATIONS = frozenset("cite citep citet parencite textcite".split())
STYLES = {"textbf": "strong", "textit": "em", "emph": "em", "textsl": "em"}
TEXT_SYMBOLS = {"%": "%", "&": "&", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}",
                " ": " ", ",": "\u2009", ";": " ", "!": "", "/": ""}
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_BLANK = re.compile(r"\n[ \t]*\n")


class _Source:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _strip_comments(text: str) -> str:
    # a comment goes, its line stays (line numbers hold); `\%` is a percent sign
    return _COMMENT.sub("", text)


def read_tex(text: str) -> Outline:
    text = _strip_comments(text.replace("\r\n", "\n").replace("\r", "\n"))
    source = _Source(text)
    start, stop = 0, len(text)
    begin = text.find("\\begin{document}")
    if begin >= 0:
        start = begin + len("\\begin{document}")
        end = text.find("\\end{document}", start)
        stop = end if end >= 0 else stop
    return Outline(_Reader(source).blocks(start, stop, 0), "tex")


def _group(text: str, i: int, open_: str = "{", close: str = "}") -> tuple[str, int] | None:
    """The balanced ``{…}`` (or ``[…]``) starting at ``i`` (after spaces): (content, end)."""
    j = i
    while j < len(text) and text[j] in " \t\n":
        j += 1
    if j >= len(text) or text[j] != open_:
        return None
    depth = 0
    k = j
    while k < len(text):
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return text[j + 1 : k], k + 1
        k += 1
    return None


_COMMAND = re.compile(r"\\([A-Za-z@]+)(\*?)|\\(.)", re.S)


def _matching_end(text: str, pos: int, name: str, stop: int) -> int:
    depth = 1
    pattern = re.compile(r"\\(begin|end)\s*\{" + re.escape(name) + r"\}")
    for match in pattern.finditer(text, pos, stop):
        depth += 1 if match.group(1) == "begin" else -1
        if depth == 0:
            return match.start()
    return -1


class _Reader:
    def __init__(self, source: _Source) -> None:
        self.source = source
        self.text = source.text

    # -- blocks ----------------------------------------------------------------

    def blocks(self, start: int, stop: int, depth: int) -> list[Block]:
        out: list[Block] = []
        text = self.text
        para_start = start
        i = start

        def flush(upto: int) -> None:
            chunk = text[para_start:upto]
            if chunk.strip():
                lead = len(chunk) - len(chunk.lstrip())
                children = self.inlines(para_start + lead, upto, depth)
                if children:
                    out.append(Paragraph(children, self.source.line(para_start + lead)))

        while i < stop:
            blank = _BLANK.match(text, i) if text[i] == "\n" else None
            if blank:
                flush(i)
                i = para_start = blank.end()
                continue
            if text.startswith("\\[", i) or text.startswith("$$", i):
                closer = "\\]" if text[i + 1] == "[" else "$$"
                end = text.find(closer, i + 2, stop)
                if end >= 0:
                    flush(i)
                    content = text[i + 2 : end]
                    lead = len(content) - len(content.lstrip())
                    out.append(
                        display(
                            content.strip(),
                            self.source.line(i),
                            self.source.line(end),
                            self.source.line(i + 2 + lead),
                        )
                    )
                    i = para_start = end + 2
                    continue
            if text[i] != "\\":
                i += 1
                continue
            match = _COMMAND.match(text, i)
            if not match or not match.group(1):
                i = match.end() if match else i + 1
                continue
            name = match.group(1)
            after = match.end()
            if name in SECTIONS:
                title = _group(text, self._skip_optional(after))
                if title:
                    flush(i)
                    children = self.inlines_of(title[0], self._offset(title, after), depth)
                    out.append(Heading(SECTIONS[name], children, self.source.line(i)))
                    i = para_start = title[1]
                    continue
            if name == "begin":
                env = _group(text, after)
                if env:
                    block, end = self._environment(env[0].strip(), i, env[1], stop, depth)
                    if block is not None:
                        flush(i)
                        out.append(block)
                        i = para_start = end
                        continue
            i = after
        flush(stop)
        return out

    def _skip_optional(self, i: int) -> int:
        optional = _group(self.text, i, "[", "]")
        return optional[1] if optional else i

    def _offset(self, group: tuple[str, int], after: int) -> int:
        return group[1] - 1 - len(group[0])

    def _environment(
        self, name: str, begin: int, body: int, stop: int, depth: int
    ) -> tuple[Block | None, int]:
        close = _matching_end(self.text, body, name, stop)
        if close < 0:
            return None, body
        end_tag = self.text.find("}", close) + 1
        if name in DISPLAY_ENVIRONMENTS:
            whole = self.text[begin:end_tag]
            block = display(whole, self.source.line(begin), self.source.line(close),
                            self.source.line(begin))
            return block, end_tag
        if name in CODE:
            inner = self.text[body:close].strip("\n")
            return CodeBlock(inner, self.source.line(begin), name), end_tag
        if depth >= MAX_DEPTH:
            return CodeBlock(self.text[body:close], self.source.line(begin), name), end_tag
        if name in LISTS:
            return self._list(name, begin, body, close, depth), end_tag
        label_end = body
        optional = _group(self.text, body, "[", "]")
        inner_start = optional[1] if optional else body
        blocks = self.blocks(inner_start, close, depth + 1)
        if optional:
            offset = self._offset(optional, label_end)
            label = Paragraph(self.inlines_of(optional[0], offset, depth), self.source.line(body))
            blocks.insert(0, label)
        return Environment(name, blocks, self.source.line(begin)), end_tag

    def _list(self, name: str, begin: int, body: int, close: int, depth: int) -> ListBlock:
        text = self.text
        nested = 0
        items_at: list[int] = []
        # only the \item of this list, not of a list inside it
        for m in re.finditer(r"\\(begin|end)\s*\{[^{}]*\}|\\item(?![A-Za-z])", text[body:close]):
            if m.group(0).startswith("\\begin"):
                nested += 1
            elif m.group(0).startswith("\\end"):
                nested -= 1
            elif nested == 0:
                items_at.append(body + m.start())
        items: list[list[Block]] = []
        for k, at in enumerate(items_at):
            end = items_at[k + 1] if k + 1 < len(items_at) else close
            start = at + len("\\item")
            optional = _group(text, start, "[", "]")
            blocks = self.blocks(optional[1] if optional else start, end, depth + 1)
            if optional:
                term = Styled("strong", self.inlines_of(optional[0], start, depth))
                if blocks and isinstance(blocks[0], Paragraph):
                    blocks[0].children[:0] = [term, Text(" ")]
                else:
                    blocks.insert(0, Paragraph([term], self.source.line(start)))
            items.append(blocks)
        return ListBlock(LISTS[name], items, self.source.line(begin))

    # -- inline ------------------------------------------------------------------

    def inlines_of(self, text: str, offset: int, depth: int) -> list[Inline]:
        return self.inlines(offset, offset + len(text), depth)

    def inlines(self, start: int, stop: int, depth: int) -> list[Inline]:
        text = self.text
        out: list[Inline] = []
        buffer: list[str] = []

        def emit_text() -> None:
            if buffer:
                joined = _typography(" ".join("".join(buffer).split("\n")))
                if joined:
                    out.append(Text(joined))
                buffer.clear()

        i = start
        while i < stop:
            ch = text[i]
            if ch == "$" or text.startswith("\\(", i):
                closer = "$" if ch == "$" else "\\)"
                opened = 1 if ch == "$" else 2
                end = _find_closer(text, i + opened, closer, stop)
                if end >= 0:
                    emit_text()
                    out.append(Math(text[i + opened : end].strip()))
                    i = end + len(closer)
                    continue
            if ch == "~":
                buffer.append("\u00a0")
                i += 1
                continue
            if ch in "{}":
                i += 1
                continue
            if ch != "\\":
                buffer.append(ch)
                i += 1
                continue
            match = _COMMAND.match(text, i)
            if match is None:
                i += 1
                continue
            if match.group(3) is not None:  # \% \\ \, …
                symbol = match.group(3)
                if symbol == "\\":
                    emit_text()
                    out.append(Break(True))
                    spacing = re.match(r"\s*\[[^\]]*\]", text[match.end() : stop])
                    i = match.end() + (spacing.end() if spacing else 0)
                    continue
                buffer.append(TEXT_SYMBOLS.get(symbol, symbol))
                i = match.end()
                continue
            name = match.group(1)
            after = match.end()
            if name == "verb" and after < stop:
                delimiter = text[after]
                end = text.find(delimiter, after + 1, stop)
                if end > 0:
                    emit_text()
                    out.append(Code(text[after + 1 : end]))
                    i = end + 1
                    continue
            argument = _group(text, after)
            if argument is None or argument[1] > stop:
                i = after  # a command with no argument shows nothing (\noindent, \quad)
                continue
            content, end = argument
            inner = end - 1 - len(content)
            if name == "label":
                pass
            elif name in REFERENCES:
                buffer.append(f"({content.strip()})")
            elif name in CITATIONS:
                buffer.append(f"[{content.strip()}]")
            elif name == "url":
                emit_text()
                out.append(Link(content.strip(), [Text(content.strip())]))
            elif name == "href":
                label = _group(text, end)
                emit_text()
                children = (
                    self.inlines_of(label[0], label[1] - 1 - len(label[0]), depth)
                    if label and depth < MAX_DEPTH
                    else [Text(content)]
                )
                out.append(Link(content.strip(), children))
                end = label[1] if label else end
            elif name == "texttt":
                emit_text()
                out.append(Code(content))
            elif name in STYLES and depth < MAX_DEPTH:
                emit_text()
                out.append(Styled(STYLES[name], self.inlines(inner, end - 1, depth + 1)))
            elif name == "footnote" and depth < MAX_DEPTH:
                emit_text()
                out.append(Text(" ("))
                out.extend(self.inlines(inner, end - 1, depth + 1))
                out.append(Text(")"))
            elif depth < MAX_DEPTH:  # any other command: what it is applied to
                emit_text()
                out.extend(self.inlines(inner, end - 1, depth + 1))
            i = end
        emit_text()
        return out


def _find_closer(text: str, pos: int, closer: str, stop: int) -> int:
    i = pos
    while i < stop:
        if text.startswith(closer, i):
            return i
        if text[i] == "\n" and closer == "$" and text.startswith("\n", i + 1):
            return -1  # an inline formula never spans a blank line
        i += 2 if text[i] == "\\" else 1
    return -1


def _typography(text: str) -> str:
    text = text.replace("---", "\u2014").replace("--", "\u2013")
    text = text.replace("``", "\u201c").replace("''", "\u201d")
    return re.sub(r"[ \t]+", " ", text)


__all__ = ["read_tex"]

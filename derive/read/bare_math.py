"""Math environments written bare in Markdown, outside `$$`.

MathJax, KaTeX, Jupyter, Obsidian, Typora, VS Code and pandoc all render a
``\\begin{align*} … \\end{align*}`` standing on its own lines as display math,
so both the document stage and the report's outline read it as a display block.
This is the markdown-it block rule they share; its token type is
``math_environment`` and its content runs from ``\\begin`` to ``\\end{…}``.
"""

from __future__ import annotations

import re

from markdown_it.rules_block import StateBlock

BARE_ENVIRONMENTS = (
    "align|align\\*|aligned|alignat|alignat\\*|equation|equation\\*|gather|gather\\*|gathered"
    "|multline|multline\\*|eqnarray|eqnarray\\*|split|flalign|flalign\\*"
)
_BARE_OPEN = re.compile(r"\\begin\{(" + BARE_ENVIRONMENTS + r")\}")


def bare_environment(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """``\\begin{align*} … \\end{align*}`` written straight into the Markdown."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    begin = state.bMarks[start] + state.tShift[start]
    opened = _BARE_OPEN.match(state.src, begin)
    if not opened:
        return False
    closer = "\\end{" + opened.group(1) + "}"
    close = state.src.find(closer, opened.end())
    if close < 0:
        return False
    last = start
    while last < end and state.eMarks[last] < close:
        last += 1
    if last >= end:
        return False
    if silent:
        return True
    token = state.push("math_environment", "math", 0)
    token.content = state.src[begin : close + len(closer)]
    token.map = [start, last + 1]
    state.line = last + 1
    return True

"""LaTeX → safe MathML (latex2mathml), for the HTML reports.

All document text is untrusted: the MathML that latex2mathml produces is
re-serialised through a whitelist of MathML elements and attributes (it passes
``\\text{<script>}`` through verbatim otherwise); what cannot be converted is
shown as escaped LaTeX source.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.parser import HTMLParser

# --------------------------------------------------------------------------
# LaTeX -> safe MathML
# --------------------------------------------------------------------------

_MATHML_TAGS = frozenset(
    """math mrow mi mn mo ms mtext mspace msub msup msubsup mfrac msqrt mroot mstyle merror
    mpadded mphantom mfenced menclose munder mover munderover mtable mtr mtd mlabeledtr
    maligngroup malignmark semantics annotation mmultiscripts mprescripts none""".split()
)
_MATHML_ATTRS = frozenset(
    """display xmlns mathvariant stretchy fence form separator lspace rspace minsize maxsize
    movablelimits accent accentunder linethickness columnalign rowalign columnspacing rowspacing
    columnlines rowlines frame width height depth voffset scriptlevel displaystyle notation open
    close separators largeop symmetric encoding align rowspan columnspan mathsize""".split()
)


class _MathMLSanitizer(HTMLParser):
    """Re-emit only whitelisted MathML; everything else becomes escaped text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], close: bool) -> None:
        if tag not in _MATHML_TAGS:
            self.out.append(html.escape(self.get_starttag_text() or "", quote=False))
            return
        parts = [tag]
        for name, value in attrs:
            if name in _MATHML_ATTRS and value is not None:
                parts.append(f'{name}="{html.escape(value, quote=True)}"')
        self.out.append("<" + " ".join(parts) + ">")
        if close:
            self.out.append(f"</{tag}>")
        else:
            self.stack.append(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, close=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, close=True)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            if tag not in _MATHML_TAGS:
                self.out.append(html.escape(f"</{tag}>", quote=False))
            return
        while self.stack:
            top = self.stack.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:  # drop
        pass

    def handle_decl(self, decl: str) -> None:  # drop
        pass

    def handle_pi(self, data: str) -> None:  # drop
        pass

    def unknown_decl(self, data: str) -> None:  # drop
        pass

    def result(self) -> str:
        self.close()
        while self.stack:
            self.out.append(f"</{self.stack.pop()}>")
        return "".join(self.out)


def sanitize_mathml(markup: str) -> str:
    parser = _MathMLSanitizer()
    parser.feed(markup)
    return parser.result()


_PRIMES = re.compile(r"(?<!\\)('+)")


def _prepare(latex: str) -> str:
    # latex2mathml reads x' badly (a stray backslash); ^{\prime} renders right.
    return _PRIMES.sub(lambda m: "^{" + r"\prime" * len(m.group(1)) + "}", latex)


MAX_CONVERTED = 20_000  # characters; a longer formula is shown as source (bounded time)


# Function names latex2mathml writes as a bare <mi>: a thin space after them, as TeX sets
# "log a" (MathML Core gives an <mi> no spacing of its own).
_FUNCTION_MI = re.compile(
    r"(<mi>(?:log|ln|lg|exp|sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|"
    r"max|min|sup|inf|lim|det|arg|deg|dim|gcd|ker|Pr)</mi>)(?!<mo stretchy=\"false\">\()"
)


def _spaced(markup: str) -> str:
    return _FUNCTION_MI.sub(r'\1<mspace width="0.1667em"></mspace>', markup)


_ENTITY = re.compile(r"&#x[0-9A-Fa-f]+;|&#\d+;")


def _serialise(element, out: list[str]) -> None:
    """An element tree from latex2mathml, written out through the whitelist.

    Walking the tree (instead of re-parsing its text) is both safer and four times
    faster on a long document.  latex2mathml writes symbols as character references
    (``&#x0002B;``) and the author's ``\\text{…}`` verbatim: the first are decoded,
    everything is then escaped."""
    tag = str(element.tag).rsplit("}", 1)[-1]
    # character references (latex2mathml's symbols, its spaces in \text) are characters;
    # decoding them first and escaping after keeps any markup out
    text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), element.text or "")
    if tag not in _MATHML_TAGS:
        out.append(html.escape(text, quote=False))
    else:
        attrs = "".join(
            f' {name}="{html.escape(str(value), quote=True)}"'
            for name, value in element.attrib.items()
            if name in _MATHML_ATTRS
        )
        out.append(f"<{tag}{attrs}>{html.escape(text, quote=False)}")
    for child in element:
        _serialise(child, out)
        if child.tail:
            tail = _ENTITY.sub(lambda m: html.unescape(m.group(0)), child.tail)
            out.append(html.escape(tail, quote=False))
    if tag in _MATHML_TAGS:
        out.append(f"</{tag}>")


@lru_cache(maxsize=8192)
def math_html(latex: str | None, *, inline: bool = False) -> str:
    """Safe MathML for ``latex``; the escaped LaTeX source in <code> if it cannot be converted.

    Display style (limits under sums) unless ``inline``: a formula inside prose."""
    latex = (latex or "").strip()
    if not latex:
        return ""
    if len(latex) > MAX_CONVERTED:
        return f'<code class="tex">{html.escape(latex)}</code>'
    try:
        from latex2mathml.converter import convert_to_element
    except ImportError:  # pragma: no cover - a declared dependency
        return f'<code class="tex">{html.escape(latex)}</code>'
    for candidate in (_prepare(latex), latex):
        try:
            element = convert_to_element(candidate, display="block")
        except Exception:  # noqa: BLE001 - any failure of the converter means "show source"
            continue
        if str(element.tag).rsplit("}", 1)[-1] != "math":
            continue
        # converted as display math (limits under sums), shown inline in the page
        element.attrib.pop("display", None)
        element.set("display", "inline")
        if not inline:
            element.set("displaystyle", "true")
        out: list[str] = []
        _serialise(element, out)
        return _spaced("".join(out))
    return f'<code class="tex">{html.escape(latex)}</code>'

"""Writing systems of a piece of text, for choosing fonts in the PDF.

XeLaTeX sets Latin in Latin Modern, Chinese, Japanese and Korean through xeCJK
in Noto CJK, and Greek and Cyrillic text in a font that has them (Latin Modern
has neither); pdflatex sets Latin-1 only.  This module says which characters
belong to which group, nothing more.
"""

from __future__ import annotations

import re

# Han, kana, Hangul, CJK punctuation and full-width forms: xeCJK's business.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f"
    "\u31a0-\u31ff\u3200-\u32ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af"
    "\ud7b0-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f"
)
# Greek and Cyrillic letters (with their combining accents): the "script" font.
_GREEK_CYRILLIC = "\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"

CJK_RUN = re.compile(f"[{_CJK}]+")
SCRIPT_RUN = re.compile(f"[{_GREEK_CYRILLIC}]+(?:[ \u0300-\u036f]+[{_GREEK_CYRILLIC}]+)*")
# What Latin Modern sets: Latin with its extensions, general punctuation, a few symbols.
_LATIN_MODERN = "\t\n\x20-\x7e\xa0-\u024f\u02b0-\u02ff\u1e00-\u1eff\u2000-\u206f\u20ac\u2122"
# Everything else but CJK (math symbols in prose, IPA, Armenian, …): the script font.
OTHER_RUN = re.compile(f"[^{_LATIN_MODERN}{_CJK}{_GREEK_CYRILLIC}]+")
_LATIN1 = re.compile(r"[\t\n\x20-\x7e\xa0-\xff]")


def is_cjk(ch: str) -> bool:
    return bool(CJK_RUN.fullmatch(ch))


def is_greek_or_cyrillic(ch: str) -> bool:
    return bool(re.fullmatch(f"[{_GREEK_CYRILLIC}]", ch))


def beyond_latin1(text: str) -> list[str]:
    """The characters of ``text`` pdflatex cannot set with Latin-1 fonts, in order, once each."""
    return list(dict.fromkeys(ch for ch in text if not _LATIN1.match(ch)))

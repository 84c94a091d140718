"""Reports of a checking run: terminal text, JSON, GitHub, SARIF, HTML, LaTeX/PDF.

Every renderer takes the plain result dataclasses of :mod:`derive.model`
(``RunResult`` / ``FileResult``) and nothing else; none imports SymPy.  The
HTML and LaTeX reports come in two views: the annotated note (the whole
document, ``note_html``/``note_latex``) and the chains (``html``/``latex``).
"""

from derive.report.atomic import write_atomic
from derive.report.files import FORMATS, VIEWS, ReportError, write_reports
from derive.report.html import render_html
from derive.report.json_report import dumps, schema, to_json
from derive.report.latex import render_latex
from derive.report.note_html import render_note_html
from derive.report.note_latex import render_note_latex
from derive.report.pdf import LatexError, compile_pdf
from derive.report.text import render_problems, render_text

__all__ = [
    "FORMATS",
    "VIEWS",
    "LatexError",
    "ReportError",
    "compile_pdf",
    "dumps",
    "render_html",
    "render_latex",
    "render_note_html",
    "render_note_latex",
    "render_problems",
    "render_text",
    "schema",
    "to_json",
    "write_atomic",
    "write_reports",
]

"""Reports of a checking run: terminal text, JSON, HTML, LaTeX/PDF.

Every renderer takes the plain result dataclasses of :mod:`derive.model`
(``RunResult`` / ``FileResult``) and nothing else; none imports SymPy.
"""

from derive.report.files import FORMATS, ReportError, write_atomic, write_reports
from derive.report.html import render_html
from derive.report.json_report import dumps, schema, to_json
from derive.report.latex import LatexError, compile_pdf, render_latex
from derive.report.text import render_problems, render_text

__all__ = [
    "FORMATS",
    "LatexError",
    "ReportError",
    "compile_pdf",
    "dumps",
    "render_html",
    "render_latex",
    "render_problems",
    "render_text",
    "schema",
    "to_json",
    "write_atomic",
    "write_reports",
]

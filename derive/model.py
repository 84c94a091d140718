"""Plain data passed between the pipeline stages.

document → chains → expressions → verdicts → reports.  Every stage takes and
returns these dataclasses and nothing else, so each stage can be called and
tested on its own, and the report renderers never see SymPy internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["proved", "bounded", "numeric", "refuted", "undecided", "unparsed", "error"]
VERDICTS: tuple[str, ...] = (
    "proved", "bounded", "numeric", "refuted", "undecided", "unparsed", "error"
)

# Verdicts a user can rely on without reading further.
GOOD_VERDICTS = frozenset({"proved", "bounded"})
# Verdicts that make `derive check` exit 1 unless a chain pins them as expected.
FAILING_VERDICTS = frozenset({"refuted", "unparsed", "error"})
# An internal error is a bug in derive, never an outcome a document may pin.
UNPINNABLE_VERDICTS = frozenset({"error"})


# --------------------------------------------------------------------------
# Stage 1: documents (derive/read/)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something in an input that could not be read; always has a place."""

    path: str
    line: int  # 1-based; 0 when the problem concerns the whole file
    message: str
    column: int = 0  # 1-based; 0 when unknown
    fragment: str = ""  # the offending text, short

    def where(self) -> str:
        loc = f"{self.path}:{self.line}" if self.line else self.path
        return f"{loc}:{self.column}" if self.column else loc


@dataclass(frozen=True)
class SourceItem:
    """One element of a chain as written: an expression, or for equation
    chains a whole equation ``lhs = rhs``."""

    latex: str
    line: int  # 1-based source line where the item starts
    column: int = 0  # 1-based column in that line, 0 when unknown


@dataclass
class RawChain:
    """A chain as found in a document, before any LaTeX is read.

    ``kind == "expressions"``: items are expressions joined by ``relations``
    (``"="`` or ``"approx"``): ``items[0] = items[1] = …``.
    ``kind == "equations"``: every item is an equation ``lhs = rhs``; each
    step claims that item k+1 follows from item k.
    """

    path: str
    line: int  # line of the first item
    kind: Literal["expressions", "equations"]
    items: list[SourceItem]
    relations: list[str]  # len(items) - 1 entries
    section: tuple[str, ...] = ()  # heading path, outermost first
    annotation: dict[str, Any] | None = None  # YAML of a derive annotation placed right before
    annotation_line: int = 0
    block_line: int = 0  # line where the display block starts ($$ or \begin)
    label: str = ""  # explicit id from the annotation (`id:`), else ""


@dataclass
class Document:
    path: str
    text: str
    front_matter: dict[str, Any] = field(default_factory=dict)
    chains: list[RawChain] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --------------------------------------------------------------------------
# Stage 4/5: verdicts (derive/engine/, derive/chain.py)
# --------------------------------------------------------------------------


@dataclass
class StepResult:
    """One step ``lhs → rhs`` of a chain and what was decided about it."""

    line: int  # source line of the right-hand expression
    from_line: int  # source line of the left-hand expression
    lhs: str  # LaTeX as written
    rhs: str
    verdict: Verdict
    method: str = ""  # e.g. "canonical", "simplify", "numeric-probe", "instantiated m=1..4"
    culprit: bool = False  # the right-hand line is judged to be the wrong line
    residual: str | None = None  # LaTeX of lhs - rhs, simplified (refuted steps)
    ratio: str | None = None  # LaTeX of lhs / rhs when that is simpler (refuted steps)
    counterexample: dict[str, str] | None = None  # symbol name -> value (as text)
    values: dict[str, str] | None = None  # lhs/rhs values at the counterexample
    message: str = ""
    seconds: float = 0.0
    relation: str = "="  # "=", "approx", "implies", "equivalent"
    expected: str | None = None  # pinned verdict, when the document pins one
    expected_culprit: bool | None = None
    # The evidence in the reader's notation (derive/printing.py): the counterexample as
    # LaTeX name -> LaTeX value (a chosen function as "K(t)" -> its body), and the message
    # as ("text", prose) / ("math", LaTeX) pieces.  None where the engine gave none.
    counterexample_latex: dict[str, str] | None = None
    message_parts: list[tuple[str, str]] | None = None
    traceback: str = ""  # verdict "error": where derive failed (shown with -v and in JSON)

    @property
    def meets_expectation(self) -> bool:
        if self.verdict in UNPINNABLE_VERDICTS:
            return False
        if self.expected is not None and self.verdict != self.expected:
            return False
        if self.expected_culprit is not None and self.culprit != self.expected_culprit:
            return False
        if self.expected is None and self.verdict in FAILING_VERDICTS:
            return False
        return True


@dataclass
class ChainResult:
    id: str  # "<file stem>:<line>"
    name: str  # readable slug used in pytest node ids, unique within the file
    path: str
    line: int
    section: tuple[str, ...] = ()
    steps: list[StepResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "L redefined at line 40"
    pinned: bool = False  # the chain carries expectations
    defines: str = ""  # LaTeX of the name the chain's first `=` defines, if any

    @property
    def ok(self) -> bool:
        return all(s.meets_expectation for s in self.steps)


@dataclass
class FileResult:
    path: str
    problems: list[Problem] = field(default_factory=list)
    chains: list[ChainResult] = field(default_factory=list)
    # the document's text as read (normalised line endings), for the annotated reports
    source: str = field(default="", repr=False, compare=False)
    cached: bool = False  # served from .derive-cache/ (derive/cache.py), not checked this run

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.ok for c in self.chains)


@dataclass
class Summary:
    steps: int = 0
    proved: int = 0
    bounded: int = 0
    numeric: int = 0
    refuted: int = 0
    undecided: int = 0
    unparsed: int = 0
    error: int = 0
    culprits: int = 0
    seconds: float = 0.0
    unmet_expectations: int = 0


@dataclass
class RunResult:
    files: list[FileResult]
    summary: Summary

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)


def summarise(files: list[FileResult], seconds: float) -> Summary:
    summary = Summary(seconds=round(seconds, 3))
    for file_result in files:
        for chain in file_result.chains:
            for step in chain.steps:
                summary.steps += 1
                setattr(summary, step.verdict, getattr(summary, step.verdict) + 1)
                summary.culprits += int(step.culprit)
                summary.unmet_expectations += int(not step.meets_expectation)
    return summary

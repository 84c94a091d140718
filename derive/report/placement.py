"""Which checked step belongs to which row of the document, by source line.

The document stage and the outline read the same file; a step sits on the row
of its display block that holds its right-hand line.  A step whose line falls
in no display block the outline found (the two readers differ on some
construct) is never dropped: it is kept, with its chain, as an *orphan* to be
shown as a chain card where its line falls in the document.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace

from derive.model import ChainResult, FileResult, StepResult
from derive.report.outline import Display, Outline, Row, walk_displays


@dataclass
class RowMarks:
    """What the reports show beside one row."""

    steps: list[tuple[ChainResult, StepResult]] = field(default_factory=list)
    starts: list[ChainResult] = field(default_factory=list)  # chains whose first line is here
    defines: list[ChainResult] = field(default_factory=list)  # definitions made here


@dataclass
class Placement:
    rows: dict[int, RowMarks] = field(default_factory=dict)  # id(Row) -> marks
    # chains (with the steps of them that found no row), by the line they start on
    orphans: list[tuple[int, ChainResult]] = field(default_factory=list)
    checked: set[int] = field(default_factory=set)  # id(Display) of blocks with a chain

    def marks(self, row: Row) -> RowMarks:
        return self.rows.get(id(row), RowMarks())

    def unchecked(self, displays: list[Display]) -> list[Display]:
        """Display blocks in which nothing was checked (math inside a sentence is not one)."""
        return [d for d in displays if id(d) not in self.checked and not d.inline]


def place(outline: Outline, file: FileResult) -> Placement:
    displays = walk_displays(outline.blocks)
    spans = sorted(((d.line, d.end_line, i) for i, d in enumerate(displays)), key=lambda s: s[0])
    starts = [s[0] for s in spans]
    placement = Placement()

    def display_at(line: int) -> Display | None:
        # blocks do not overlap, but two can share a line ($$a$$ and $$b$$ in one paragraph)
        k = bisect.bisect_right(starts, line) - 1
        for index in range(k, max(k - 3, -1), -1):
            first, last, block = spans[index]
            if first <= line <= max(last, first):
                return displays[block]
        return None

    def row_at(block: Display, line: int) -> Row | None:
        if not block.rows:
            return None
        chosen = block.rows[0]
        for row in block.rows:
            if row.line <= line:
                chosen = row
        return chosen

    def marks(row: Row) -> RowMarks:
        return placement.rows.setdefault(id(row), RowMarks())

    for chain in file.chains:
        lost: list[StepResult] = []
        first_block = display_at(chain.line)
        if first_block is not None and (row := row_at(first_block, chain.line)) is not None:
            placement.checked.add(id(first_block))
            marks(row).starts.append(chain)
            if not chain.steps:
                marks(row).defines.append(chain)
        for step in chain.steps:
            block = display_at(step.line)
            row = row_at(block, step.line) if block is not None else None
            if row is None or block is None:
                lost.append(step)
                continue
            placement.checked.add(id(block))
            marks(row).steps.append((chain, step))
        if lost or (first_block is None and not chain.steps):
            orphan = replace(chain, steps=lost)
            placement.orphans.append((lost[0].line if lost else chain.line, orphan))
    placement.orphans.sort(key=lambda item: item[0])
    return placement

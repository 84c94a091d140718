"""Stage 5: from a chain of lines to its steps, and from verdicts to culprits.

Pure bookkeeping, no algebra: which items are compared with which (skipping
lines that could not be read), which line is the culprit when two
neighbouring steps fail, and how pinned expectations apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from derive.context import ContextSpec, Expectation
from derive.latex import GREEK
from derive.model import RawChain, StepResult
from derive.resolve import Head, SourceDefinition, definition_head

# verdicts under which a skip-check clears line k: the step k-1 → k+1 holds
HOLDS = frozenset({"proved", "bounded", "numeric"})


@dataclass
class ChainPlan:
    """A chain ready to be read: its context, what it defines, what it checks."""

    raw: RawChain
    spec: ContextSpec
    definitions: list[SourceDefinition]  # document definitions in force
    defines: Head | None = None  # the first `=` defines this name
    notes: list[str] = field(default_factory=list)
    # names the document both applies, f(x), and uses alone: f(x) reads two ways
    ambiguous: set[str] = field(default_factory=set)

    @property
    def first_checked(self) -> int:
        """Position (0-based) of the first item that takes part in a step."""
        return 1 if self.defines else 0

    @property
    def equations(self) -> bool:
        return self.raw.kind == "equations"


def defined_head(raw: RawChain) -> Head | None:
    if raw.kind != "expressions" or not raw.relations or raw.relations[0] != "=":
        return None
    head = definition_head(raw.items[0].latex)
    if head is not None and head.kind == "function" and not all(
        (len(p) == 1 and p.islower()) or (p in GREEK and p.islower()) for p in head.params
    ):
        # a document's parameters are variables, lowercase (x, \theta): `P(A) = 0.3`,
        # `P(\Omega) = 1`, `P(\emptyset) = 0` state a value at an event or a set;
        # they do not define P
        return None
    return head


@dataclass(frozen=True)
class Step:
    lhs: int  # 0-based item positions
    rhs: int


def plan_steps(plan: ChainPlan, readable: list[bool]) -> tuple[list[Step], list[int]]:
    """Consecutive readable items form the steps; an unreadable item is skipped
    over (its neighbours are compared with each other).  Returns the steps and
    the positions of the unreadable items."""
    steps: list[Step] = []
    unreadable: list[int] = []
    previous: int | None = None
    for position in range(plan.first_checked, len(plan.raw.items)):
        if not readable[position]:
            unreadable.append(position)
            continue
        if previous is not None:
            steps.append(Step(previous, position))
        previous = position
    return steps, unreadable


def relation_between(plan: ChainPlan, lhs: int, rhs: int) -> str:
    if plan.equations:
        return "equations"
    relations = plan.raw.relations[lhs:rhs]
    return "approx" if "approx" in relations else "="


def culprit_candidates(steps: list[Step], verdicts: list[str]) -> list[tuple[int, Step]]:
    """Where steps k-1→k and k→k+1 are both refuted, the skip-check k-1→k+1
    tells whether line k is the culprit (also when k is followed by lines equal to
    it before the refuted step).  Returns (index of the first refuted step, the
    skip step to check)."""
    out = []
    for i in range(len(steps) - 1):
        if verdicts[i] != "refuted":
            continue
        # the wrong line may be repeated in another form before the chain comes back
        # right: k-1 ≠ k = k' ≠ k+1 makes the run k…k' the culprit, checked k-1 → k+1
        j = i + 1
        while j < len(steps) and verdicts[j] in HOLDS and steps[j].lhs == steps[j - 1].rhs:
            j += 1
        if j < len(steps) and verdicts[j] == "refuted" and steps[j].lhs == steps[j - 1].rhs:
            out.append((i, Step(steps[i].lhs, steps[j].rhs)))
    return out


def apply_expectations(
    results: list[StepResult], positions: list[int], expect: Expectation | None
) -> None:
    """Attach pinned verdicts.  Step numbers and culprit positions count the
    chain's items from 1; a step is named by its right-hand item: step k ends
    at item k+1."""
    if expect is None:
        return
    for result, rhs_position in zip(results, positions, strict=True):
        step_number = rhs_position  # rhs item is number rhs_position + 1
        result.expected = expect.steps.get(step_number)
        result.expected_culprit = (rhs_position + 1) in expect.culprit


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


def chain_name(raw: RawChain, taken: set[str]) -> str:
    base = raw.label or (slug(raw.section[-1]) if raw.section else "") or "chain"
    if not raw.label:
        base = f"{base}-line-{raw.line}"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}-{k}", k + 1
    taken.add(name)
    return name

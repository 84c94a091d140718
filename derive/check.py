"""The pipeline, top to bottom: document → chains → expressions → verdicts.

This is the one code path behind the command line, the reports, the pytest
plugin and the Python API.  The parent process only plans and collects; all
reading of LaTeX and all algebra runs in derive/worker.py's killable workers
(derive/steps.py), so a hostile or pathological line costs its time bound and
nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from derive.chain import (
    HOLDS,
    ChainPlan,
    Step,
    apply_expectations,
    chain_name,
    culprit_candidates,
    defined_head,
    plan_steps,
    relation_between,
)
from derive.context import (
    ContextSpec,
    FunctionSpec,
    block_context_lenient,
    context_for_document_lenient,
)
from derive.model import (
    ChainResult,
    Document,
    FileResult,
    Problem,
    RunResult,
    SourceItem,
    StepResult,
    summarise,
)
from derive.read import DocumentError, read_document
from derive.read.usage import NameUsage, scan_usage
from derive.resolve import Head, SourceDefinition, bare, definition_head
from derive.steps import (
    ChainReading,
    ReadOutcome,
    StepOutcome,
    StepTask,
    decide_step,
    internal_error,
    read_chain,
    warm_up,
)
from derive.worker import TaskResult, WorkerPool

DEFAULT_TIMEOUT = 6.0  # seconds per step, hard
BUDGET_SHARE = 0.6  # of the hard bound, spent on symbolic tiers before giving up softly
DOCUMENT_SUFFIXES = (".md", ".markdown", ".tex")

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class Options:
    context_file: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    jobs: int = 1
    seed: int = 0
    progress: Progress | None = None


@dataclass
class PlannedDocument:
    """A document's chains with the context and definitions each one sees."""

    path: str
    problems: list[Problem]
    plans: list[ChainPlan] = field(default_factory=list)


def collect_documents(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders contribute their .md/.tex files, sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.suffix in DOCUMENT_SUFFIXES and p.is_file() and not p.name.startswith(".")
            )
        else:
            found.append(path)
    return found


def check_paths(paths: Iterable[str | Path], options: Options | None = None) -> RunResult:
    """Check documents; a file that cannot be read at all raises DocumentError."""
    options = options or Options()
    documents = [read_document(path) for path in collect_documents(paths)]
    return check_documents(documents, options)


def check_document(path: str | Path, options: Options | None = None) -> FileResult:
    return check_paths([path], options).files[0]


def check_documents(documents: list[Document], options: Options) -> RunResult:
    started = time.monotonic()
    planned = [plan_document(doc, options) for doc in documents]
    with WorkerPool(jobs=options.jobs, timeout=options.timeout, initializer=warm_up) as pool:
        files = decide_documents(planned, pool, options)
    for file_result, doc in zip(files, documents, strict=True):
        file_result.source = doc.text  # the annotated reports render the whole document
    return RunResult(files, summarise(files, time.monotonic() - started))


# --------------------------------------------------------------------------
# Planning (parent process, no LaTeX is read here)
# --------------------------------------------------------------------------


def plan_document(doc: Document, options: Options) -> PlannedDocument:
    problems = list(doc.problems)
    doc_spec, errors = context_for_document_lenient(
        doc.path, doc.front_matter, options.context_file
    )
    problems += [err.as_problem(doc.path, err.line) for err in errors]
    planned = PlannedDocument(doc.path, problems)
    usage = scan_usage((item.latex, item.line) for raw in doc.chains for item in raw.items)
    heads = [head for raw in doc.chains if (head := defined_head(raw))]
    document_heads = {head.name for head in heads}
    # a name the document defines as a function is one everywhere, also in sections
    # where that definition is not in force (there it is an unknown function)
    document_functions = {head.name for head in heads if head.kind == "function"}

    # Document definitions hold until the next heading of the same or higher
    # level: keep each with the section path it was made in.
    in_force: dict[tuple[str, str], tuple[tuple[str, ...], SourceDefinition]] = {}
    for raw in doc.chains:
        in_force = {
            key: (section, d)
            for key, (section, d) in in_force.items()
            if raw.section[: len(section)] == section
        }
        # selectors match text as written; rebuild the block with its relations
        block_latex = " = ".join(item.latex for item in raw.items)
        source = f"annotation at {doc.path}:{raw.annotation_line}"
        spec, block_errors = block_context_lenient(
            doc_spec, raw.annotation, source, raw.block_line or raw.line, block_latex
        )
        problems += [
            err.as_problem(doc.path, raw.annotation_line or raw.line) for err in block_errors
        ]
        used_here = set(scan_usage((item.latex, item.line) for item in raw.items).applied)
        spec, inferred = _with_functions_from_use(
            spec, usage, document_heads, document_functions, used_here
        )
        plan = ChainPlan(raw, spec, [d for _, d in in_force.values()])
        plan.notes += inferred
        plan.ambiguous = usage.ambiguous(_known_names(spec) | document_heads)
        head = defined_head(raw)
        if head is not None:
            plan.defines = head
            key = (head.kind, head.name)
            if key in in_force:
                earlier = in_force[key][1].origin
                plan.notes.append(f"{head.describe()} redefined here (was defined at {earlier})")
            elif _declared_by_context(spec, head):
                plan.notes.append(f"{head.describe()} redefined here (was declared in the context)")
            definition = SourceDefinition(
                head, raw.items[1].latex, f"{doc.path}:{raw.items[0].line}"
            )
            in_force[key] = (raw.section, definition)
        planned.plans.append(plan)
    return planned


def _known_names(spec: ContextSpec) -> set[str]:
    """Names the context gives a meaning (bare, as the reader names them)."""
    names = set(spec.symbols) | set(spec.functions) | set(spec.indices) | set(spec.sizes)
    names |= set(spec.depends)
    names |= {head.name for text in spec.define if (head := definition_head(text))}
    return {bare(name) for name in names}


def _with_functions_from_use(
    spec: ContextSpec,
    usage: NameUsage,
    document_heads: set[str],
    document_functions: set[str],
    used_here: set[str],
) -> tuple[ContextSpec, list[str]]:
    """Names the document only ever applies to arguments are unknown functions, as if
    the context said `functions: [f]`; the chains that apply one say so."""
    known = _known_names(spec)
    inferred = usage.functions(known | document_heads)
    functions = set(inferred) | (document_functions - known)
    if not functions:
        return spec, []
    added = {name: FunctionSpec(name, (), None) for name in functions}
    notes = [
        f"{name} is read as a function: the document applies it to arguments "
        f"(first on line {line}) and never uses it alone"
        for name, line in sorted(inferred.items(), key=lambda item: item[1])
        if name in used_here
    ]
    return replace(spec, functions={**added, **spec.functions}), notes


def _declared_by_context(spec: ContextSpec, head: Head) -> bool:
    """The context defines the same kind of thing under the same name (a symbol
    `a` and an indexed family `a_j` are different things)."""
    heads = {definition_head(name) for name in spec.define}
    heads |= {
        Head("function", bare(f.name), f.params) for f in spec.functions.values() if f.body
    }
    return any(h is not None and (h.kind, h.name) == (head.kind, head.name) for h in heads)


# --------------------------------------------------------------------------
# Deciding (work runs in the pool)
# --------------------------------------------------------------------------


def decide_documents(
    planned: list[PlannedDocument], pool: WorkerPool, options: Options
) -> list[FileResult]:
    plans = [plan for doc in planned for plan in doc.plans]
    readings = _read_all(plans, pool, options)

    # Round 1: every step of every chain.
    step_lists: list[list[Step]] = []
    unreadable_lists: list[list[int]] = []
    tasks: list[StepTask] = []
    for plan, reading in zip(plans, readings, strict=True):
        steps, unreadable = plan_steps(plan, [r.ok for r in reading.items])
        step_lists.append(steps)
        unreadable_lists.append(unreadable)
        tasks += [_task(plan, step, options) for step in steps]
    outcomes = _run_steps(tasks, pool, options, "checking steps")
    outcomes = _second_readings(plans, step_lists, tasks, outcomes, pool, options)
    outcomes = _across_gaps(plans, step_lists, outcomes)

    # Round 2: skip-checks where two neighbouring steps are refuted.
    cursor = 0
    chain_outcomes: list[list[tuple[StepOutcome, float]]] = []
    skip_tasks: list[StepTask] = []
    skip_owners: list[tuple[int, int]] = []
    for chain_index, (plan, steps) in enumerate(zip(plans, step_lists, strict=True)):
        mine = outcomes[cursor : cursor + len(steps)]
        cursor += len(steps)
        chain_outcomes.append(mine)
        verdicts = [o.verdict for o, _ in mine]
        for first, skip in culprit_candidates(steps, verdicts):
            skip_tasks.append(_task(plan, skip, options))
            skip_owners.append((chain_index, first))
    skip_outcomes = _run_steps(skip_tasks, pool, options, "locating culprits")
    culprits: set[tuple[int, int]] = set()
    for owner, (outcome, _) in zip(skip_owners, skip_outcomes, strict=True):
        if outcome.verdict in HOLDS:
            culprits.add(owner)

    files: list[FileResult] = []
    chain_index = 0
    for doc in planned:
        result = FileResult(doc.path, list(doc.problems))
        taken: set[str] = set()
        for plan in doc.plans:
            reading = readings[chain_index]
            result.chains.append(
                _chain_result(
                    plan,
                    reading,
                    step_lists[chain_index],
                    unreadable_lists[chain_index],
                    chain_outcomes[chain_index],
                    culprits,
                    chain_index,
                    taken,
                )
            )
            chain_index += 1
        files.append(result)
    return files


def _second_readings(
    plans: list[ChainPlan],
    step_lists: list[list[Step]],
    tasks: list[StepTask],
    outcomes: list[tuple[StepOutcome, float]],
    pool: WorkerPool,
    options: Options,
) -> list[tuple[StepOutcome, float]]:
    """A refuted step that writes f(…) where the document also uses f alone was read
    one way (f times …); decide it the other way too.  It stays refuted only when
    both readings refute it (a red line never rests on a guess between readings)."""
    redo: list[tuple[int, list[str]]] = []
    alternatives: list[StepTask] = []
    position = 0
    for plan, steps in zip(plans, step_lists, strict=True):
        for step in steps:
            outcome, _ = outcomes[position]
            if outcome.verdict == "refuted" and plan.ambiguous:
                rows = [(plan.raw.items[k].latex, 0) for k in (step.lhs, step.rhs)]
                names = sorted(set(scan_usage(rows).applied) & plan.ambiguous)
                if names:
                    functions = {n: FunctionSpec(n, (), None) for n in names}
                    spec = replace(plan.spec, functions={**functions, **plan.spec.functions})
                    alternatives.append(replace(tasks[position], spec=spec))
                    redo.append((position, names))
            position += 1
    if not alternatives:
        return outcomes
    second = _run_steps(alternatives, pool, options, "second readings")
    combined = list(outcomes)
    for (position, names), (other, seconds) in zip(redo, second, strict=True):
        first, spent = combined[position]
        combined[position] = (_both_readings(first, other, names), spent + seconds)
    return combined


def _across_gaps(
    plans: list[ChainPlan],
    step_lists: list[list[Step]],
    outcomes: list[tuple[StepOutcome, float]],
) -> list[tuple[StepOutcome, float]]:
    """A step that skips an unreadable expression compares its neighbours: that can
    prove the two agree, but never refute, since the lost expression may carry what
    makes them agree (a definition, a condition, a vector the reader cannot see)."""
    combined = list(outcomes)
    position = 0
    for plan, steps in zip(plans, step_lists, strict=True):
        for step in steps:
            if step.rhs - step.lhs > 1:
                outcome, seconds = combined[position]
                lines = sorted({plan.raw.items[k].line for k in range(step.lhs + 1, step.rhs)})
                where = ", ".join(str(line) for line in lines)
                note = f"compared across the unreadable expression on line {where}"
                if outcome.verdict == "refuted":
                    outcome = StepOutcome(
                        "undecided",
                        method="across a gap",
                        message=(
                            f"not refuted: {note}; the sides disagree, but what could not "
                            "be read may be what makes them agree"
                        ),
                        relation=outcome.relation,
                    )
                else:
                    message = f"{outcome.message} ({note})" if outcome.message else note
                    outcome = replace(outcome, message=message)
                combined[position] = (outcome, seconds)
            position += 1
    return combined


def _both_readings(first: StepOutcome, other: StepOutcome, names: list[str]) -> StepOutcome:
    shown = ", ".join(names)
    if other.verdict == "refuted":
        note = f" (also refuted reading {shown} as a function applied to its bracket)"
        return replace(first, message=first.message + note)
    what = other.verdict if not other.message else f"{other.verdict} ({other.message})"
    return StepOutcome(
        "undecided",
        method="two readings",
        message=(
            f"the step reads two ways: the document uses {shown} both alone and in front "
            f"of a bracket. Read as a product the step is refuted; read as a function "
            f"applied to the bracket it is {what}"
        ),
        relation=first.relation,
    )


def _read_all(plans: list[ChainPlan], pool: WorkerPool, options: Options) -> list[ChainReading]:
    args = [
        (p.spec, p.definitions, [i.latex for i in p.raw.items], p.equations, p.defines is not None)
        for p in plans
    ]
    results = pool.run(read_chain, args, timeout=options.timeout)
    readings = []
    for plan, result in zip(plans, results, strict=True):
        if result.ok:
            readings.append(result.value)
        elif result.timed_out or result.out_of_memory:  # documented limits
            failed = [_failed_read(f"reading stopped: {result.error}") for _ in plan.raw.items]
            readings.append(ChainReading(failed))
        else:  # the reader crashed: a bug, never a plain unreadable line
            broken = ReadOutcome(
                False, internal_error(result.error), error=True, traceback=result.traceback
            )
            readings.append(ChainReading([broken for _ in plan.raw.items]))
    if options.progress:
        options.progress("reading", len(plans), len(plans))
    return readings


def _failed_read(message: str) -> ReadOutcome:
    return ReadOutcome(False, message)


def _task(plan: ChainPlan, step: Step, options: Options) -> StepTask:
    items = plan.raw.items
    timeout = plan.spec.timeout or options.timeout
    return StepTask(
        spec=plan.spec,
        definitions=plan.definitions,
        lhs=items[step.lhs].latex,
        rhs=items[step.rhs].latex,
        relation=relation_between(plan, step.lhs, step.rhs),
        seed=options.seed,
        budget=timeout * BUDGET_SHARE,
        standalone=plan.raw.kind == "expressions" and len(items) == 2 and not plan.defines,
    )


def _run_steps(
    tasks: list[StepTask], pool: WorkerPool, options: Options, phase: str
) -> list[tuple[StepOutcome, float]]:
    if not tasks:
        return []
    progress = options.progress

    def done(count: int) -> None:
        if progress is not None:
            progress(phase, count, len(tasks))

    results = pool.run(
        decide_step, [(t,) for t in tasks], timeout=_hard_bound(tasks, options), on_done=done
    )
    return [(_outcome(r), r.seconds) for r in results]


def _hard_bound(chunk: list[StepTask], options: Options) -> float:
    return max(t.budget / BUDGET_SHARE for t in chunk) if chunk else options.timeout


def _outcome(result: TaskResult) -> StepOutcome:
    """A worker's result as a verdict: the time bound and the memory limit are
    documented limits (undecided); any other failure is a bug (``error``)."""
    if result.ok:
        return result.value
    reason = result.error or "the worker failed"
    if result.timed_out:
        return StepOutcome("undecided", method="time bound", message=reason)
    if result.out_of_memory:
        return StepOutcome("undecided", method="memory limit", message=reason)
    return StepOutcome(
        "error", method="internal error", message=internal_error(reason),
        traceback=result.traceback,
    )


def _chain_result(
    plan: ChainPlan,
    reading: ChainReading,
    steps: list[Step],
    unreadable: list[int],
    outcomes: list[tuple[StepOutcome, float]],
    culprits: set[tuple[int, int]],
    chain_index: int,
    taken: set[str],
) -> ChainResult:
    raw = plan.raw
    items = raw.items
    chain = ChainResult(
        id=f"{Path(raw.path).stem}:{raw.line}",
        name=chain_name(raw, taken),
        path=raw.path,
        line=raw.line,
        section=raw.section,
        notes=list(plan.notes)
        + [f"context: {p}" for p in reading.context_problems]
        + [f"second opinion: {p}" for p in reading.second_opinions],
        pinned=plan.spec.expect is not None,
        defines=items[0].latex if plan.defines else "",
    )
    entries: list[tuple[int, StepResult]] = []
    for position in unreadable:
        item = items[position]
        why = reading.items[position]
        previous = items[position - 1] if position > 0 else item
        entries.append(
            (
                position,
                StepResult(
                    line=item.line,
                    from_line=previous.line,
                    lhs=previous.latex,
                    rhs=item.latex,
                    verdict="error" if why.error else "unparsed",
                    method="definition" if (plan.defines and position == 1) else "",
                    message=_unreadable_message(raw.path, item, why),
                    relation="define" if (plan.defines and position == 1) else "=",
                    traceback=why.traceback,
                ),
            )
        )
    for index, (step, (outcome, seconds)) in enumerate(zip(steps, outcomes, strict=True)):
        lhs, rhs = items[step.lhs], items[step.rhs]
        entries.append(
            (
                step.rhs,
                StepResult(
                    line=rhs.line,
                    from_line=lhs.line,
                    lhs=lhs.latex,
                    rhs=rhs.latex,
                    verdict=outcome.verdict,  # type: ignore[arg-type]
                    method=outcome.method,
                    culprit=(chain_index, index) in culprits,
                    residual=outcome.residual,
                    ratio=outcome.ratio,
                    counterexample=outcome.counterexample,
                    values=outcome.values,
                    message=outcome.message,
                    seconds=round(seconds, 4),
                    relation=outcome.relation,
                    counterexample_latex=outcome.counterexample_latex,
                    message_parts=outcome.message_parts,
                    traceback=outcome.traceback,
                ),
            )
        )
    entries.sort(key=lambda entry: entry[0])
    chain.steps = [result for _, result in entries]
    apply_expectations(chain.steps, [position for position, _ in entries], plan.spec.expect)
    return chain


def _unreadable_message(path: str, item: SourceItem, why: ReadOutcome) -> str:
    # columns from the parser count within the expression; report file columns
    column = item.column + why.column - 1 if (item.column and why.column) else why.column
    where = f"{path}:{item.line}" + (f":{column}" if column else "")
    fragment = f" near “{why.fragment.strip()}”" if why.fragment else ""
    if why.error:
        return f"reading {where} failed: {why.message}"
    return f"cannot read {where}: {why.message}{fragment}"


__all__ = [
    "DocumentError",
    "Options",
    "check_document",
    "check_documents",
    "check_paths",
    "collect_documents",
    "plan_document",
]

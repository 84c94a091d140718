"""scaling-m: one softmax-Jacobian step with a symbolic number of classes m, sizes "1..M"."""

from __future__ import annotations

from bench.common import Section, Timer, fmt_s

NAME = "scaling-m"

SOFTMAX = r"\frac{e^{z_j}}{\sum_{k=1}^{m} e^{z_k}}"
TEMPLATE = """---
derive:
  sizes: {{m: "1..{M}"}}
  indices: {{j: m, k: m}}
---

# Softmax derivative, m in 1..{M}

$$\\frac{{\\partial}}{{\\partial z_j}} {S} = {S}\\left(1 - {S}\\right)$$

A wrong variant (the factor 2 is planted):

$$\\frac{{\\partial}}{{\\partial z_j}} {S} = 2{S}\\left(1 - {S}\\right)$$
"""


def run(quick: bool) -> Section:
    from derive.check import Options, check_documents
    from derive.read import parse_document

    rows = []
    sizes = [2, 4, 6] if quick else [2, 4, 6, 8]
    first = None
    for M in sizes:
        text = TEMPLATE.format(M=M, S=SOFTMAX)
        with Timer() as t:
            result = check_documents([parse_document(text, f"softmax-m{M}.md")], Options(jobs=1))
        steps = [s for f in result.files for c in f.chains for s in c.steps]
        right, wrong = steps[0], steps[1]
        first = first or right.seconds
        rows.append({
            "M (m in 1..M)": M,
            "true step": f"{right.verdict} ({right.method})",
            "true step time": fmt_s(right.seconds),
            "× vs M=2": f"{right.seconds / first:.1f}×",
            "wrong step": wrong.verdict,
            "wrong step time": fmt_s(wrong.seconds),
            "document wall": fmt_s(t.seconds),
        })
    summary = (
        "∂/∂z_j of softmax_j = a_j(1−a_j) with a symbolic m declared `m: \"1..M\"`, plus a planted "
        "wrong twin (factor 2), each through `check_documents` (jobs=1; step time = the "
        f"worker's time for that step).  True step: {rows[0]['true step time']} at M={sizes[0]} → "
        f"{rows[-1]['true step time']} at M={sizes[-1]} ({rows[-1]['× vs M=2']}).  "
        "No target stated; growth is reported."
    )
    return Section(NAME, "Scaling with the size range of a symbolic m", rows, summary, targets=[])

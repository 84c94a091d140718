"""Generated derivation documents: chains of algebra/calculus identities with random
coefficients, about one step in ten wrong (a coefficient off by one)."""

from __future__ import annotations

import random

FRONT = """---
derive:
  symbols: {x: real, t: real, p: positive}
---

# Generated derivations (%d steps, seed %d)
"""


def _c(rng: random.Random) -> int:
    return rng.choice([1, 2, 3, 4, 5, 6, 7, -1, -2, -3])


def _lin(*terms: tuple[int, str]) -> str:
    """Signed sum of coefficient·monomial terms.

    _lin((2, "x^2"), (-3, "x"), (1, "")) == "2x^2 - 3x + 1"
    """
    out = ""
    for coef, mono in terms:
        if coef == 0:
            continue
        mag = abs(coef)
        body = f"{mag}{mono}" if (mag != 1 or not mono) else mono
        out += (" - " if coef < 0 else " + ") + body if out else ("-" if coef < 0 else "") + body
    return out or "0"


def _chain(rng: random.Random, wrong: list[bool]) -> list[str]:
    """One chain of len(wrong)+1 items; item k+1 is wrong when wrong[k]."""
    kind = rng.randrange(7)
    a, b = _c(rng), _c(rng)

    def off(v: int, k: int) -> int:
        return v + 1 if wrong[k] else v

    n = len(wrong)
    if kind == 0:  # (ax+b)^2
        items = [f"({_lin((a, 'x'), (b, ''))})^2",
                 f"({_lin((off(a, 0), 'x'), (b, ''))})({_lin((a, 'x'), (b, ''))})",
                 _lin((off(a * a, 1), "x^2"), (2 * a * b, "x"), (b * b, ""))]
    elif kind == 1:  # derivative of a cubic
        items = [f"\\frac{{d}}{{dx}}\\left({_lin((a, 'x^3'), (b, 'x^2'))}\\right)",
                 _lin((off(3 * a, 0), "x^2"), (2 * b, "x")),
                 f"x({_lin((3 * a, 'x'), (off(2 * b, 1), ''))})"]
    elif kind == 2:  # exponentials
        items = [f"e^{{{_lin((a, 'x'))}}} e^{{{_lin((b, 'x'))}}}",
                 f"e^{{{_lin((a, 'x'), (off(b, 0), 'x'))}}}",
                 f"e^{{{_lin((off(a + b, 1), 'x'))}}}"]
    elif kind == 3:  # difference of squares
        c = abs(a) + 1
        items = [f"\\frac{{x^2 - {c * c}}}{{x - {c}}}",
                 f"\\frac{{(x-{c})(x+{off(c, 0)})}}{{x-{c}}}",
                 f"x + {off(c, 1)}"]
    elif kind == 4:  # logistic derivative
        k = abs(a)
        items = [f"\\frac{{d}}{{dt}} \\frac{{1}}{{1+e^{{-{k}t}}}}",
                 f"\\frac{{{off(k, 0)}e^{{-{k}t}}}}{{(1+e^{{-{k}t}})^2}}",
                 f"\\frac{{{k}}}{{1+e^{{-{k}t}}}} \\cdot "
                 f"\\frac{{e^{{-{k}t}}}}{{1+e^{{-{off(k, 1)}t}}}}"]
    elif kind == 5:  # logarithms of a positive symbol
        k = abs(a) + 1
        items = [f"\\log\\left(p^{{{k}}} e^{{{b}}}\\right)",
                 f"\\log p^{{{off(k, 0)}}}" + _lin((1, "q"), (b, ""))[1:],
                 f"{k}\\log p" + _lin((1, "q"), (off(b, 1), ""))[1:]]
    else:  # Pythagoras, scaled
        items = [_lin((a, "\\sin^2 x"), (a, "\\cos^2 x"), (b, "x")),
                 f"{_lin((a, ''))}(\\sin^2 x + \\cos^2 x)" + _lin((1, "q"), (off(b, 0), "x"))[1:],
                 _lin((off(a, 1), ""), (b, "x"))]
    return items[: n + 1]


def document(steps: int, seed: int = 1, wrong_rate: float = 0.1) -> tuple[str, int]:
    """Markdown text with exactly `steps` steps; returns (text, number of wrong steps)."""
    rng = random.Random(seed)
    parts = [FRONT % (steps, seed)]
    left, chains, wrong_total = steps, 0, 0
    while left > 0:
        n = min(2, left)
        wrong = [rng.random() < wrong_rate for _ in range(n)]
        wrong_total += sum(wrong)
        items = _chain(rng, wrong)
        if chains % 50 == 0:
            parts.append(f"\n## Part {chains // 50 + 1}\n")
        parts.append("\n$$" + " = ".join(items) + "$$\n")
        left -= n
        chains += 1
    return "".join(parts), wrong_total

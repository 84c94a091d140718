"""LaTeX → SymPy corpus for tests/test_latex.py: (latex, notation key or None, expected).

Each expected value is built directly with SymPy constructors, using symbols with
exactly the assumptions `derive.latex.Notation` gives the names:

* an undeclared or plainly declared name is a real Symbol (IndexedBase for `y_k`);
* a declared index or size (`i, j, k, q`, `m, n` under "ml") is a positive integer;
* a declared function is `sympy.Function(name)`.

The notation key names an entry of NOTATIONS (keyword arguments for Notation);
None is the empty Notation.  Relations (`=`, `<`, …) are read with relation=True.
"""

from __future__ import annotations

import sympy as sp

# --------------------------------------------------------------------------
# Notations
# --------------------------------------------------------------------------

_M = sp.Symbol("m", integer=True, positive=True)
_N = sp.Symbol("n", integer=True, positive=True)

NOTATIONS: dict[str, dict] = {
    # the note's world: binary/softmax classification
    "ml": {
        "symbols": {name: {"real": True} for name in ("x", "w", "b", "z", "y")},
        "functions": {"sigma", "f", "g", "p"},
        "indices": {"i": _N, "j": _M, "k": _M, "q": _M},
        "sizes": {"m", "n"},
    },
    # \log means log base 10 / base 2
    "log10": {"log_base": "10"},
    "log2": {"log_base": "2"},
    # positivity assumptions travel into the symbols
    "pos": {"symbols": {"p": {"positive": True}, "t": {"positive": True}}},
    # `e` declared as an ordinary symbol
    "e_symbol": {"symbols": {"e": {"real": True}}},
    # `a` declared as a function: a(1-a) is a call
    "a_function": {"functions": {"a"}},
    # `ylnp(x)`: y a symbol, p a function
    "yp": {"symbols": {"y": {"real": True}}, "functions": {"p"}},
    # a multi-letter defined name
    "named": {"names": {"loss", "rate"}},
    # an index with a numeric range
    "k3": {"indices": {"k": sp.Integer(3)}},
}

# --------------------------------------------------------------------------
# Symbols as the notations make them
# --------------------------------------------------------------------------


def R(name: str) -> sp.Symbol:
    """An ordinary (real) symbol."""
    return sp.Symbol(name, real=True)


def Z(name: str) -> sp.Symbol:
    """A declared index or size: a positive integer."""
    return sp.Symbol(name, integer=True, positive=True)


def IB(name: str) -> sp.IndexedBase:
    return sp.IndexedBase(name, real=True)


a, b, c, d, r, s, t, u, v, w, x, y, z = (R(n) for n in "abcdrstuvwxyz")
A, L, H = R("A"), R("L"), R("H")
kr, nr, mr, jr, ir = R("k"), R("n"), R("m"), R("j"), R("i")  # undeclared: real, not integer
i, j, k, q, m, n = (Z(n) for n in "ijkqmn")
ya, za, xa, aa, pa, ba = IB("y"), IB("z"), IB("x"), IB("a"), IB("p"), IB("b")
alpha, beta, gamma, theta, lam, mu = (
    R(n) for n in ("alpha", "beta", "gamma", "theta", "lambda", "mu")
)
eta, eps, Sigma_, Delta_ = R("eta"), R("epsilon"), R("Sigma"), R("Delta")
yhat, xbar, ytilde = R("yhat"), R("xbar"), R("ytilde")
sigma, f, g, p, afn = (sp.Function(n) for n in ("sigma", "f", "g", "p", "a"))
pos_p, pos_t = sp.Symbol("p", positive=True), sp.Symbol("t", positive=True)
loss, rate = R("loss"), R("rate")
E, pi = sp.E, sp.pi
half = sp.Rational(1, 2)


def logistic(t: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-t))


def D(expr: sp.Expr, *variables: object) -> sp.Derivative:
    return sp.Derivative(expr, *variables)


Sum, Prod, log, exp = sp.Sum, sp.Product, sp.log, sp.exp

# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------

CORPUS: list[tuple[str, str | None, sp.Basic]] = [
    # ---- scalar algebra --------------------------------------------------
    (r"x + 1", None, x + 1),
    (r"x - y", None, x - y),
    (r"-x", None, -x),
    (r"+x", None, x),
    (r"2x", None, 2 * x),
    (r"x*y", None, x * y),
    (r"x \cdot y", None, x * y),
    (r"x \times y", None, x * y),
    (r"x \ast y", None, x * y),
    (r"x \div y", None, x / y),
    (r"x / y / z", None, x / (y * z)),
    (r"a * -b", None, -a * b),
    (r"a / -b", None, -a / b),
    (r"x y", None, x * y),
    (r"wx", None, w * x),
    (r"wx + b", None, w * x + b),
    (r"ab", None, a * b),
    (r"a b c", None, a * b * c),
    (r"2 * 1/2 * x", None, x),
    (r"x(1-x)", None, x * (1 - x)),
    (r"a(1-a)", None, a * (1 - a)),
    (r"a(1-x)", "a_function", afn(1 - x)),
    (r"(x+1)(x-1)", None, (x + 1) * (x - 1)),
    (r"[x+1]^2", None, (x + 1) ** 2),
    (r"-[x - y]", None, y - x),
    (r"\left( x + 1 \right)^2", None, (x + 1) ** 2),
    (r"\left[ x \right] y", None, x * y),
    (r"\{ x + 1 \}", None, x + 1),
    (r"\bigl( x \bigr)", None, x),
    (r"x\,y", None, x * y),
    (r"x \; y \quad z", None, x * y * z),
    (r"x\!y", None, x * y),
    (r"\displaystyle x + y", None, x + y),
    (r"x~y", None, x * y),
    (r"{x}", None, x),
    (r"{{x + y}}", None, x + y),
    (r"x^2", None, x**2),
    (r"x^{10}", None, x**10),
    (r"x^23", None, 3 * x**2),
    (r"x^{-1}", None, 1 / x),
    (r"x^{1/2}", None, sp.sqrt(x)),
    (r"x^y", None, x**y),
    (r"x^{y+1}", None, x ** (y + 1)),
    (r"(x+y)^2", None, (x + y) ** 2),
    (r"x^2 y", None, x**2 * y),
    (r"2^{10}", None, sp.Integer(1024)),
    (r"2^{-2}", None, sp.Rational(1, 4)),
    (r"0.5x", None, x / 2),
    (r".25", None, sp.Rational(1, 4)),
    (r"3.14", None, sp.Rational(157, 50)),
    (r"3/4/5", None, sp.Rational(3, 20)),
    (r"3!", None, sp.Integer(6)),
    (r"n!", None, sp.factorial(nr)),
    (r"(n+1)!", None, sp.factorial(nr + 1)),
    # ---- fractions, roots, binomials, absolute values -------------------
    (r"\frac{1}{2}", None, half),
    (r"\frac12", None, half),
    (r"\frac123", None, sp.Rational(3, 2)),
    (r"\frac1x", None, 1 / x),
    (r"\frac{x}{y}", None, x / y),
    (r"\frac{x}{y}z", None, x * z / y),
    (r"\frac{1}{2}x", None, x / 2),
    (r"2\frac{1}{2}", None, sp.Integer(1)),
    (r"\dfrac{a}{b}", None, a / b),
    (r"\tfrac{1}{3}", None, sp.Rational(1, 3)),
    (r"\frac{x+1}{x-1}", None, (x + 1) / (x - 1)),
    (r"\frac{\frac{1}{x}}{y}", None, 1 / (x * y)),
    (r"\frac{(a-y)^2}{2}", None, (a - y) ** 2 / 2),
    (r"\frac{1}{2n}", None, 1 / (2 * nr)),
    (r"\sqrt{x}", None, sp.sqrt(x)),
    (r"\sqrt x", None, sp.sqrt(x)),
    (r"\sqrt{4}", None, sp.Integer(2)),
    (r"\sqrt 43", None, sp.Integer(6)),
    (r"\sqrt[3]{x}", None, sp.root(x, 3)),
    (r"\sqrt[3]{8}", None, sp.Integer(2)),
    (r"\sqrt{x^2 + y^2}", None, sp.sqrt(x**2 + y**2)),
    (r"\sqrt{t}", "pos", sp.sqrt(pos_t)),
    (r"\binom{n}{k}", None, sp.binomial(nr, kr)),
    (r"\binom{5}{2}", None, sp.Integer(10)),
    (r"|x|", None, sp.Abs(x)),
    (r"|x - 1|", None, sp.Abs(x - 1)),
    (r"|t|", "pos", pos_t),
    (r"\left| x \right|", None, sp.Abs(x)),
    (r"||v||", None, sp.Abs(v)),
    (r"\|v\|", None, sp.Abs(v)),
    (r"||a - y||^2", None, (a - y) ** 2),
    (r"|x| + |y|", None, sp.Abs(x) + sp.Abs(y)),
    # ---- constants, greek, decorations ---------------------------------
    (r"e", None, E),
    (r"2e", None, 2 * E),
    (r"e^x", None, exp(x)),
    (r"e^{-x}", None, exp(-x)),
    (r"e^{x+1}", None, exp(x + 1)),
    (r"xe^x", None, x * exp(x)),
    (r"\mathrm{e}^{x}", None, exp(x)),
    (r"e^x", "e_symbol", R("e") ** x),
    (r"\pi", None, pi),
    (r"\pi r^2", None, pi * r**2),
    (r"2\pi", None, 2 * pi),
    (r"\alpha + \beta", None, alpha + beta),
    (r"\gamma\theta", None, gamma * theta),
    (r"\lambda x", None, lam * x),
    (r"\mu^2", None, mu**2),
    (r"\eta \epsilon", None, eta * eps),
    (r"\Sigma + \Delta", None, Sigma_ + Delta_),
    (r"\hat{y}", None, yhat),
    (r"\bar{x}", None, xbar),
    (r"\overline{x}", None, xbar),
    (r"\tilde{y}", None, ytilde),
    (r"\hat{y}_i", None, IB("yhat")[ir]),
    (r"\mathit{x}", None, x),
    (r"\infty", None, sp.oo),
    # ---- logs and exponentials -----------------------------------------
    (r"\log x", None, log(x)),
    (r"\log{x}", None, log(x)),
    (r"\log(x)", None, log(x)),
    (r"\log{(1-a)}", None, log(1 - a)),
    (r"\ln x", None, log(x)),
    (r"ln x", None, log(x)),
    (r"lnx", "ml", log(x)),
    (r"log(x)", None, log(x)),
    (r"\log x", "log10", log(x, 10)),
    (r"\log x", "log2", log(x, 2)),
    (r"\ln x", "log10", log(x)),
    (r"\log_2 x", None, log(x, 2)),
    (r"\log_{10}(x)", None, log(x, 10)),
    (r"\log_2{8}", None, sp.Integer(3)),
    (r"\log_b x", None, log(x, b)),
    (r"\log x^2", None, log(x**2)),
    (r"\log(x)^2", None, log(x) ** 2),
    (r"\log^2 x", None, log(x) ** 2),
    (r"\ln|x|", None, log(sp.Abs(x))),
    (r"\log(xy)", None, log(x * y)),
    (r"\log t + \log p", "pos", log(pos_t) + log(pos_p)),
    (r"\exp(x)", None, exp(x)),
    (r"\exp x", None, exp(x)),
    (r"exp(-x)", None, exp(-x)),
    (r"\exp{(x + y)}", None, exp(x + y)),
    (r"y \log a + (1-y) \log (1-a)", None, y * log(a) + (1 - y) * log(1 - a)),
    # ---- trigonometric and other named functions ------------------------
    (r"\sin x", None, sp.sin(x)),
    (r"\cos(2x)", None, sp.cos(2 * x)),
    (r"\sin^2 x + \cos^2 x", None, sp.sin(x) ** 2 + sp.cos(x) ** 2),
    (r"\tan x", None, sp.tan(x)),
    (r"\sinh x", None, sp.sinh(x)),
    (r"\arctan(x)", None, sp.atan(x)),
    (r"\max(0, x)", None, sp.Max(0, x)),
    (r"\min(x, y)", None, sp.Min(x, y)),
    (r"\max(x, y, z)", None, sp.Max(x, y, z)),
    # ---- ML losses and activations -------------------------------------
    (r"\frac{1}{1+e^{-z}}", None, logistic(z)),
    (r"sigmoid(z)", None, logistic(z)),
    (r"\operatorname{sigmoid}(z)", None, logistic(z)),
    (r"\sigma(z)", "ml", sigma(z)),
    (r"\sigma(wx+b)", "ml", sigma(w * x + b)),
    (r"\sigma(z)(1-\sigma(z))", "ml", sigma(z) * (1 - sigma(z))),
    (r"\tanh(x)", None, sp.tanh(x)),
    (r"\tanh x", None, sp.tanh(x)),
    (r"\frac{e^x - e^{-x}}{e^x + e^{-x}}", None, (exp(x) - exp(-x)) / (exp(x) + exp(-x))),
    (r"\ln(1 + e^{x})", None, log(1 + exp(x))),
    (r"\log(1 + \exp(x))", None, log(1 + exp(x))),
    (r"\max(0, x)", "ml", sp.Max(0, x)),
    (r"\max(0, 1 - yx)", None, sp.Max(0, 1 - x * y)),
    (r"\frac{1}{2}(a - y)^2", None, (a - y) ** 2 / 2),
    (r"-(y \log{a} + (1-y) \log{(1-a)})", None, -(y * log(a) + (1 - y) * log(1 - a))),
    (r"ylnp(x) + (1-y)ln(1-p(x))", "yp", y * log(p(x)) + (1 - y) * log(1 - p(x))),
    (r"\frac{e^{z_j}}{\sum_k^m{e^{z_k}}}", "ml", exp(za[j]) / Sum(exp(za[k]), (k, 1, m))),
    (
        r"\frac{e^{z_j}}{\sum_{k=1}^{m} e^{z_k}}",
        None,
        exp(za[jr]) / Sum(exp(za[kr]), (kr, 1, mr)),
    ),
    (r"\log \sum_{k=1}^{m} e^{z_k}", None, log(Sum(exp(za[kr]), (kr, 1, mr)))),
    (r"\log\left(\sum_k e^{z_k}\right)", "ml", log(Sum(exp(za[k]), (k, 1, m)))),
    (r"-\sum_j^m y_j \ln{a_j}", "ml", -Sum(ya[j] * log(aa[j]), (j, 1, m))),
    (
        r"-\frac{1}{n} \sum_i^n{y_i \log{a_i} + (1-y_i) \log{(1-a_i)}}",
        "ml",
        -Sum(ya[i] * log(aa[i]) + (1 - ya[i]) * log(1 - aa[i]), (i, 1, n)) / n,
    ),
    (
        r"\frac{1}{n}\sum_{i=1}^{n}(y_i - \hat{y}_i)^2",
        "ml",
        Sum((ya[i] - IB("yhat")[i]) ** 2, (i, 1, n)) / n,
    ),
    (
        r"\frac{1}{2n} \sum_{i}{||a_i - y_i||^2}",
        "ml",
        Sum((aa[i] - ya[i]) ** 2, (i, 1, n)) / (2 * n),
    ),
    (r"-\sum_{k=1}^{m} y_k \log p_k", None, -Sum(ya[kr] * log(pa[kr]), (kr, 1, mr))),
    # ---- probability ---------------------------------------------------
    (r"p(x) + c", "ml", p(x) + c),
    (r"1 - p(x)", "ml", 1 - p(x)),
    (r"p^y (1-p)^{1-y}", "pos", pos_p**y * (1 - pos_p) ** (1 - y)),
    (
        r"\binom{n}{k} p^k (1-p)^{n-k}",
        "pos",
        sp.binomial(nr, kr) * pos_p**kr * (1 - pos_p) ** (nr - kr),
    ),
    (
        r"\frac{1}{\sqrt{2\pi}\sigma} e^{-\frac{(x-\mu)^2}{2\sigma^2}}",
        None,
        exp(-((x - mu) ** 2) / (2 * R("sigma") ** 2)) / (sp.sqrt(2 * pi) * R("sigma")),
    ),
    (r"\frac{\lambda^k e^{-\lambda}}{k!}", None, lam**kr * exp(-lam) / sp.factorial(kr)),
    (r"\sum_{k=1}^{3} p_k", None, Sum(pa[kr], (kr, 1, 3))),
    (r"-\sum_k p_k \log p_k", "k3", -Sum(pa[k] * log(pa[k]), (k, 1, 3))),
    (r"\prod_{i=1}^{n} p(x_i)", "ml", Prod(p(xa[i]), (i, 1, n))),
    # ---- sums and products: bound forms --------------------------------
    (r"\sum_{k=1}^{m} k", None, Sum(kr, (kr, 1, mr))),
    (r"\sum_{k=1}^{m} k", "ml", Sum(k, (k, 1, m))),
    (r"\sum_{k=0}^{n-1} x_k", None, Sum(xa[kr], (kr, 0, nr - 1))),
    (r"\sum_{k=1}^n \frac{1}{k}", None, Sum(1 / kr, (kr, 1, nr))),
    (r"\sum_k^m z_k", None, Sum(za[kr], (kr, 1, mr))),
    (r"\sum_k^m{e^{z_k}}", "ml", Sum(exp(za[k]), (k, 1, m))),
    (r"\sum_k z_k", "ml", Sum(za[k], (k, 1, m))),
    (r"\sum_{k} z_k", "ml", Sum(za[k], (k, 1, m))),
    (r"\sum_k z_k", "k3", Sum(za[k], (k, 1, 3))),
    (r"\sum_{q \neq j} y_q", "ml", Sum(ya[q], (q, 1, m)) - ya[j]),
    (r"\sum_{q\neq{j}}\frac{y_q}{a_q}", "ml", Sum(ya[q] / aa[q], (q, 1, m)) - ya[j] / aa[j]),
    (r"\sum_{q \ne j} y_q", "ml", Sum(ya[q], (q, 1, m)) - ya[j]),
    (r"\prod_{k=1}^{n} k", None, Prod(kr, (kr, 1, nr))),
    (r"\prod_{q \neq j} y_q", "ml", Prod(ya[q], (q, 1, m)) / ya[j]),
    (r"\sum\limits_{k=1}^{m} k", None, Sum(kr, (kr, 1, mr))),
    # scope: the body is the rest of the product
    (r"\sum_{k=1}^{n} k^2 + 1", None, Sum(kr**2, (kr, 1, nr)) + 1),
    (r"\sum_{k=1}^{n} (k + 1)", None, Sum(kr + 1, (kr, 1, nr))),
    (r"\sum_{k=1}^{n} x_k y_k", None, Sum(xa[kr] * ya[kr], (kr, 1, nr))),
    (r"\sum_{k=1}^{n} x_k - y", None, Sum(xa[kr], (kr, 1, nr)) - y),
    (r"x\sum_{k=1}^{n} k + 1", None, x * Sum(kr, (kr, 1, nr)) + 1),
    (r"a_j\sum_{q}y_q", "ml", aa[j] * Sum(ya[q], (q, 1, m))),
    (r"-y_j + a_j\sum_{q}y_q", "ml", -ya[j] + aa[j] * Sum(ya[q], (q, 1, m))),
    # braces right after the sum delimit the body unless the index is used later
    (r"\sum_{k=1}^{m}{x_k} y", None, y * Sum(xa[kr], (kr, 1, mr))),
    (r"\sum_{k=1}^{m}{x_k} y_k", None, Sum(xa[kr] * ya[kr], (kr, 1, mr))),
    (r"\sum_k^m{e^{z_k}}\sum_k^m{e^{z_k}}", "ml", Sum(exp(za[k]), (k, 1, m)) ** 2),
    (r"\sum_j^m {y_{ij}} \log{a_{ij}}", "ml", Sum(ya[i, j] * log(aa[i, j]), (j, 1, m))),
    # nested sums
    (r"\sum_{i=1}^{n}\sum_{j=1}^{m} y_{ij}", "ml", Sum(ya[i, j], (j, 1, m), (i, 1, n))),
    (
        r"\sum_i^n \sum_j^m {y_{ij}} \log{a_{ij}}",
        "ml",
        Sum(Sum(ya[i, j] * log(aa[i, j]), (j, 1, m)), (i, 1, n)),
    ),
    (r"\sum_{i=1}^{2}\sum_{j=1}^{i} j", None, Sum(Sum(jr, (jr, 1, ir)), (ir, 1, 2))),
    # ---- indexed names -------------------------------------------------
    (r"x_1", None, xa[1]),
    (r"x_1 + x_2", None, xa[1] + xa[2]),
    (r"x_{12}", None, xa[12]),
    (r"z_k", "ml", za[k]),
    (r"a_{j}", "ml", aa[j]),
    (r"y_{ij}", "ml", ya[i, j]),
    (r"y_{i,j}", "ml", ya[i, j]),
    (r"a_{i1}", "ml", aa[i, 1]),
    (r"x_{i+1}", "ml", xa[i + 1]),
    (r"x_{max}", None, R("x_{max}")),
    (r"a_j(1-a_j)", "ml", aa[j] * (1 - aa[j])),
    (r"- a_q a_j", "ml", -aa[q] * aa[j]),
    (r"w x_i + b", "ml", w * xa[i] + b),
    # ---- declared names and letter runs --------------------------------
    (r"ylnp(x)", "yp", y * log(p(x))),
    (r"loss + 1", "named", loss + 1),
    (r"2loss \cdot rate", "named", 2 * loss * rate),
    (r"\mathrm{loss}", "named", loss),
    (r"f(x)(1-x)", "ml", f(x) * (1 - x)),
    (r"g(x, y)", "ml", g(x, y)),
    (r"f(g(x))", "ml", f(g(x))),
    # ---- derivatives ---------------------------------------------------
    (r"\frac{\partial{L}}{\partial{w}}", None, D(L, w)),
    (r"\frac{\partial L}{\partial w}", None, D(L, w)),
    (r"\frac{dL}{dw}", None, D(L, w)),
    (r"\frac{dy}{dx}", None, D(y, x)),
    (r"\frac{d y}{d x}", None, D(y, x)),
    (r"\frac{\mathrm{d}y}{\mathrm{d}x}", None, D(y, x)),
    (r"\frac{\partial{L}}{\partial{z_j}}", "ml", D(L, za[j])),
    (r"\frac{\partial a_q}{\partial z_j}", "ml", D(aa[q], za[j])),
    (r"\frac{\partial^2 L}{\partial w^2}", None, D(L, (w, 2))),
    (r"\frac{\partial^{2} L}{\partial w^{2}}", None, D(L, (w, 2))),
    (r"\frac{d^2 y}{dx^2}", None, D(y, (x, 2))),
    (r"\frac{\partial^2 f(x, y)}{\partial x \partial y}", "ml", D(f(x, y), x, y)),
    (r"\frac{d}{dx} x^2", None, D(x**2, x)),
    (r"\frac{d}{dx}(x^2 + 1)", None, D(x**2 + 1, x)),
    (r"\frac{d}{dx} f(x)", "ml", D(f(x), x)),
    (r"\frac{\partial}{\partial w} (wx+b)", None, D(w * x + b, w)),
    (r"\frac{\partial{(wx+b)}}{\partial{w}}", None, D(w * x + b, w)),
    (r"\frac{\partial{\frac{1}{x}}}{\partial{x}}", None, D(1 / x, x)),
    (r"\sigma'(z)", "ml", D(sigma(z), z)),
    (r"f'(x)", "ml", D(f(x), x)),
    (r"f''(x)", "ml", D(f(x), (x, 2))),
    (r"\sigma'(x) \cdot 2", "ml", 2 * D(sigma(x), x)),
    (r"(wx+b)'_w", None, D(b + w * x, w)),
    (r"(wx+b)'_b", None, D(b + w * x, b)),
    (r"(x^2)'_x", None, D(x**2, x)),
    (r"(a-y) * \sigma'(z) * x", "ml", (a - y) * D(sigma(z), z) * x),
    # ---- relations (relation=True) ------------------------------------
    (r"x = y", None, sp.Eq(x, y, evaluate=False)),
    (r"x + 1 = 2", None, sp.Eq(x + 1, 2, evaluate=False)),
    (r"x < y", None, sp.Lt(x, y, evaluate=False)),
    (r"x > 0", None, sp.Gt(x, 0, evaluate=False)),
    (r"x \leq y", None, sp.Le(x, y, evaluate=False)),
    (r"x \le 1", None, sp.Le(x, 1, evaluate=False)),
    (r"x \geq y", None, sp.Ge(x, y, evaluate=False)),
    (r"q \neq j", "ml", sp.Ne(q, j, evaluate=False)),
    (r"q = j", "ml", sp.Eq(q, j, evaluate=False)),
    (r"\sigma(z) = \frac{1}{1+e^{-z}}", "ml", sp.Eq(sigma(z), logistic(z), evaluate=False)),
]

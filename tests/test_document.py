"""Stage 1 (derive/read/): display math → chains, with file lines kept right."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.model import Document, RawChain
from derive.read import DocumentError, parse_document, read_document

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "cross_entropy_note.md"


def md(text: str) -> Document:
    return parse_document(text, "note.md", "md")


def tex(text: str) -> Document:
    return parse_document(text, "note.tex", "tex")


def items(chain: RawChain) -> list[tuple[str, int]]:
    return [(item.latex, item.line) for item in chain.items]


def only_chain(doc: Document) -> RawChain:
    assert len(doc.chains) == 1, doc.chains
    return doc.chains[0]


# --------------------------------------------------------------------------
# What is (not) math
# --------------------------------------------------------------------------


def test_code_fence_math_is_never_a_chain() -> None:
    doc = md("```\n$$a = b$$\n```\n\n~~~latex\n\\[c = d\\]\n~~~\n")
    assert doc.chains == [] and doc.problems == []


def test_indented_code_and_inline_code_are_never_chains() -> None:
    doc = md("text\n\n    $$a = b$$\n\nsee `$$c = d$$` and ``\\[e = f\\]``\n")
    assert doc.chains == [] and doc.problems == []


def test_single_dollar_inline_math_is_not_checked() -> None:
    doc = md("so $a = b = c$ and $x=1$.\n")
    assert doc.chains == []


def test_display_without_relation_yields_no_chain() -> None:
    assert md("$$ x^2 $$\n").chains == []


def test_block_dollar_math_keeps_lines_and_columns() -> None:
    chain = only_chain(md("# T\n\n$$L = -y \\log a$$\n"))
    assert items(chain) == [("L", 3), ("-y \\log a", 3)]
    assert [item.column for item in chain.items] == [3, 7]
    assert chain.line == chain.block_line == 3
    assert chain.kind == "expressions" and chain.relations == ["="]


def test_double_dollar_mid_paragraph_is_a_chain() -> None:
    chain = only_chain(md("intro\nthe map is $$a_{j} = \\frac{1}{2}$$ here\n"))
    assert items(chain) == [("a_{j}", 2), ("\\frac{1}{2}", 2)]
    assert chain.items[0].column == len("the map is $$") + 1
    assert chain.block_line == 2


def test_bracket_display_math_in_markdown() -> None:
    chain = only_chain(md("text \\[ p = q \\] more\n"))
    assert items(chain) == [("p", 1), ("q", 1)]
    doc = md("a\n\n\\[\nr \\\\\n= s\n\\]\n")
    assert items(only_chain(doc)) == [("r", 4), ("s", 5)]


def test_escaped_backslash_bracket_is_not_math() -> None:
    assert md("a \\\\[x = y] b\n").chains == []


def test_block_closing_mid_line_with_prose_after() -> None:
    doc = md(
        "$$\\begin{aligned}\na &= b \\\\\n  &= c\n\\end{aligned}$$ where $c$ is known\n"
        "$$x = y$$ \n"
    )
    assert [items(c) for c in doc.chains] == [
        [("a", 2), ("b", 2), ("c", 3)],
        [("x", 5), ("y", 5)],
    ]
    assert doc.chains[0].block_line == 1


def test_block_closing_with_trailing_spaces_then_prose_line() -> None:
    doc = md("$$\\begin{aligned}\na &= b\n\\end{aligned}$$   \nprose\n")
    assert items(only_chain(doc)) == [("a", 2), ("b", 2)]


def test_list_item_with_lazy_continuation_block() -> None:
    text = "- case one\n$$\\begin{aligned}\nu &= v \\\\\n& = w\n\\end{aligned}$$\n- case two\n"
    chain = only_chain(md(text))
    assert items(chain) == [("u", 3), ("v", 3), ("w", 4)]


def test_indented_block_inside_nested_list_keeps_columns() -> None:
    text = "1. item\n   - nested\n     $$m = n\n     = o$$\n"
    chain = only_chain(md(text))
    assert items(chain) == [("m", 3), ("n", 3), ("o", 4)]
    assert [i.column for i in chain.items] == [8, 12, 8]


def test_blockquote_math() -> None:
    chain = only_chain(md("> $$s\n> = t$$\n"))
    assert items(chain) == [("s", 1), ("t", 2)]
    assert [i.column for i in chain.items] == [5, 5]


def test_unclosed_double_dollar_is_a_problem() -> None:
    doc = md("broken $$ a = b\n\nok\n")
    assert doc.chains == []
    assert [(p.line, p.column) for p in doc.problems] == [(1, 8)]


def test_equation_label_suffix_block() -> None:
    assert items(only_chain(md("$$e = f$$ (eq1)\n"))) == [("e", 1), ("f", 1)]


# --------------------------------------------------------------------------
# Input hygiene
# --------------------------------------------------------------------------


def test_crlf_bom_and_tabs_keep_line_numbers() -> None:
    text = "\ufeff# T\r\n\r\ntext\r\n$$a\t= b \\\\\r\n\t= c$$\r\n\r\n$$d = e$$\r\n"
    doc = md(text)
    assert [items(c) for c in doc.chains] == [
        [("a", 4), ("b", 4), ("c", 5)],
        [("d", 7), ("e", 7)],
    ]
    assert doc.chains[0].items[1].column == 7  # "$$a\t= b": a tab is one column
    assert doc.chains[0].section == ("T",)
    assert "\r" not in doc.text and not doc.text.startswith("\ufeff")


def test_lone_cr_line_endings_count_as_lines() -> None:
    doc = md("x\r\r$$p = q$$\r")
    assert items(only_chain(doc)) == [("p", 3), ("q", 3)]


def test_crlf_bom_file_read_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    path.write_bytes("\ufeffa\r\n\r\n$$x = 1$$\r\n".encode())
    assert items(only_chain(read_document(path))) == [("x", 3), ("1", 3)]


# --------------------------------------------------------------------------
# Splitting blocks into chains
# --------------------------------------------------------------------------


def test_aligned_rows_form_one_chain_with_each_rows_line() -> None:
    text = (
        "$$\\begin{aligned}\n"
        "f(x) & = (x+1)^2 \\label{a} \\\\\n"
        "& = x^2 + 2x + 1 \\nonumber \\\\[2pt]\n"
        "&= x(x+2) + 1 \\tag{3}\\\\\n"
        "\\end{aligned}$$\n"
    )
    chain = only_chain(md(text))
    assert items(chain) == [
        ("f(x)", 2), ("(x+1)^2", 2), ("x^2 + 2x + 1", 3), ("x(x+2) + 1", 4)]
    assert chain.relations == ["=", "=", "="]
    assert chain.line == 2 and chain.block_line == 1


def test_sum_bounds_are_not_split() -> None:
    chain = only_chain(md("$$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$\n"))
    assert [i.latex for i in chain.items] == ["\\sum_{i=1}^{n} i", "\\frac{n(n+1)}{2}"]


def test_equals_inside_parentheses_and_brackets_is_not_split() -> None:
    chain = only_chain(md("$$P(X=k) = [k=1] + f(x=2)$$\n"))
    assert [i.latex for i in chain.items] == ["P(X=k)", "[k=1] + f(x=2)"]


def test_neq_and_leq_inside_braces_are_not_split() -> None:
    chain = only_chain(md("$$S = \\sum_{q \\neq j} y_q = \\sum_{k \\leq m} z_k$$\n"))
    assert [i.latex for i in chain.items] == [
        "S", "\\sum_{q \\neq j} y_q", "\\sum_{k \\leq m} z_k"]


def test_top_level_inequality_or_implication_is_an_unsupported_relation() -> None:
    doc = md("$$\\begin{aligned}\na &= b \\\\\n&\\Rightarrow c = d \\\\\n&= e\n\\end{aligned}$$\n")
    # `= e` continues `c = d`, not `a = b`: the step into it is reported, not bridged
    assert [(p.line, p.message) for p in doc.problems] == [
        (3, "unsupported relation `\\Rightarrow`"),
        (4, "step not checked: it continues line 3, which could not be read"),
    ]
    assert items(only_chain(doc)) == [("a", 2), ("b", 2)]
    doc = md("$$x \\le y$$\n\n$$u <= v$$\n")
    assert doc.chains == [] and [p.line for p in doc.problems] == [1, 3]


def test_coloneq_is_an_equals_sign() -> None:
    chain = only_chain(md("$$f := x^2 = x \\cdot x$$\n"))
    assert [i.latex for i in chain.items] == ["f", "x^2", "x \\cdot x"]
    assert chain.relations == ["=", "="]


def test_approx_relation() -> None:
    chain = only_chain(md("$$\\binom{10}{6}0.6^6 0.4^4 = 0.2508 \\approx 0.25$$\n"))
    assert chain.relations == ["=", "approx"]
    assert chain.items[-1].latex == "0.25"


def test_overset_equals_is_a_relation() -> None:
    chain = only_chain(md("$$a \\overset{(1)}{=} b$$\n"))
    assert [i.latex for i in chain.items] == ["a", "b"]


def test_equation_chain_when_every_row_has_its_own_left_side() -> None:
    text = (
        "$$\\begin{aligned}\n"
        "y &= \\frac{1}{1+e^{-t}} \\\\\n"
        "1 &= y(1+e^{-t}) \\\\\n"
        "1-y &= ye^{-t}\n"
        "\\end{aligned}$$\n"
    )
    chain = only_chain(md(text))
    assert chain.kind == "equations"
    assert items(chain) == [
        ("y = \\frac{1}{1+e^{-t}}", 2), ("1 = y(1+e^{-t})", 3), ("1-y = ye^{-t}", 4)]
    assert len(chain.relations) == 2


def test_gather_rows_are_read_as_an_equation_chain() -> None:
    doc = tex("\\begin{gather}\na = 1 \\\\ b = 2\n\\end{gather}\n")
    chain = only_chain(doc)
    assert chain.kind == "equations"
    assert [i.latex for i in chain.items] == ["a = 1", "b = 2"]


def test_rows_with_new_left_sides_start_new_chains() -> None:
    doc = md("$$a = b = c \\\\\nd = e = f$$\n")
    assert [items(c) for c in doc.chains] == [
        [("a", 1), ("b", 1), ("c", 1)], [("d", 2), ("e", 2), ("f", 2)]]


def test_row_without_relation_continues_the_expression() -> None:
    chain = only_chain(md("$$\\begin{aligned}\nL &= a + b \\\\\n&\\quad + c \\\\\n&= d\n"
                          "\\end{aligned}$$\n"))
    assert items(chain) == [("L", 2), ("a + b \\quad + c", 2), ("d", 4)]


def test_trailing_row_break_gives_no_empty_expression() -> None:
    chain = only_chain(md("$$\\begin{aligned}\na &= b \\\\\n&= c \\\\\n\\end{aligned}$$\n"))
    assert [i.latex for i in chain.items] == ["a", "b", "c"]


def test_unbalanced_row_is_a_problem_and_the_rows_before_it_still_chain() -> None:
    doc = md("$$\\begin{aligned}\na &= b \\\\\n&= \\frac{c}{d \\\\\n&= e\n\\end{aligned}$$\n")
    assert [(p.line, p.column) for p in doc.problems] == [(3, 2), (4, 2)]  # the `=` after `&`
    assert "unbalanced" in doc.problems[0].message
    assert "\\frac{c}{d" in doc.problems[0].fragment
    assert "continues line 3" in doc.problems[1].message
    assert items(only_chain(doc)) == [("a", 2), ("b", 2)]


def test_matrix_rows_and_cells_stay_inside_their_expression() -> None:
    chain = only_chain(md("$$A = \\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix} = I$$\n"))
    assert [i.latex for i in chain.items] == [
        "A", "\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}", "I"]


# --------------------------------------------------------------------------
# Front matter, annotations, sections
# --------------------------------------------------------------------------


def test_front_matter_is_returned_whole() -> None:
    doc = md("---\ntitle: T\nderive:\n  symbols: {x: real}\n---\n$$x = 1$$\n")
    assert doc.front_matter == {"title": "T", "derive": {"symbols": {"x": "real"}}}
    assert only_chain(doc).line == 6


def test_invalid_front_matter_is_a_problem_naming_its_line() -> None:
    doc = md("---\ntitle: T\nbad: [1, 2\n---\n$$x = 1$$\n")
    assert doc.front_matter == {}
    assert len(doc.problems) == 1 and doc.problems[0].line in (3, 4, 5)
    assert "front matter" in doc.problems[0].message
    assert len(doc.chains) == 1


def test_markdown_annotation_attaches_to_next_block_with_label() -> None:
    text = (
        "# S\n"
        '<!-- derive: {cases: "q \\\\neq j", id: softmax-diag} -->\n'
        "text before\n"
        "$$a = b = c \\\\\nd = e$$\n"
        "$$e = f$$\n"
    )
    doc = md(text)
    first, second, third = doc.chains
    assert first.annotation == {"cases": "q \\neq j", "id": "softmax-diag"}
    assert first.annotation_line == 2
    assert (first.label, second.label) == ("softmax-diag", "softmax-diag-2")
    assert second.annotation == first.annotation
    assert third.annotation is None and third.label == "" and third.annotation_line == 0


def test_multiline_markdown_annotation() -> None:
    text = "<!-- derive:\n  id: two\n  cases: \"x > 0\"\n-->\n$$a = b$$\n"
    chain = only_chain(md(text))
    assert chain.annotation == {"id": "two", "cases": "x > 0"}
    assert chain.annotation_line == 1 and chain.label == "two"


def test_plain_html_comments_are_ignored() -> None:
    doc = md("<!-- 一个注释 -->\n$$a = b$$\n")
    assert only_chain(doc).annotation is None and doc.problems == []


def test_invalid_annotation_yaml_is_a_problem_with_its_line() -> None:
    doc = md("text\n\n<!-- derive: {bad: [1, 2 -->\n$$a = b$$\n")
    assert [p.line for p in doc.problems] == [3]
    assert only_chain(doc).annotation is None


def test_annotation_without_a_block_in_its_section_is_a_problem() -> None:
    doc = md("# A\n<!-- derive: {id: x} -->\n# B\n$$a = b$$\n")
    assert [p.line for p in doc.problems] == [2]
    assert only_chain(doc).annotation is None


def test_sections_follow_heading_levels() -> None:
    text = (
        "# One\n## Two\n$$a = b$$\n### Three\n$$c = d$$\n## Four\n$$e = f$$\n"
        "Setext\n======\n$$g = h$$\n"
    )
    doc = md(text)
    assert [c.section for c in doc.chains] == [
        ("One", "Two"), ("One", "Two", "Three"), ("One", "Four"), ("Setext",)]


def test_heading_markup_is_dropped_from_section_titles() -> None:
    assert only_chain(md("## The **loss** `L`\n$$L = 1$$\n")).section == ("The loss L",)


# --------------------------------------------------------------------------
# LaTeX files
# --------------------------------------------------------------------------

TEX = r"""\documentclass{article}
% derive: {symbols: {x: real}}
\newcommand{\foo}{$$a = b$$}
\begin{document}
\section{Intro}
Costs 5\% here $x = 1$ and % $$c = d$$
\subsection*{Part one}
% derive: {id: first}
\begin{align*}
  f(x) &= (x+1)^2 \label{eq:1} \\
       &= x^2 + 2x + 1 \nonumber \\
       &\approx 1 % trailing comment = 5
\end{align*}
% derive:
%   id: eqs
%   cases: "t > 0"
\begin{equation}
\begin{split}
y &= \frac{1}{1+e^{-t}} \\
1 &= y(1+e^{-t})
\end{split}
\end{equation}
\begin{verbatim}
$$v = w$$
\end{verbatim}
\[ p \\% comment
 = q \]
\section{Two}
$$ s = t $$
\end{document}
$$after = end$$
"""


def test_tex_environments_comments_preamble_and_sections() -> None:
    doc = tex(TEX)
    assert doc.problems == []
    assert [items(c) for c in doc.chains] == [
        [("f(x)", 10), ("(x+1)^2", 10), ("x^2 + 2x + 1", 11), ("1", 12)],
        [("y = \\frac{1}{1+e^{-t}}", 19), ("1 = y(1+e^{-t})", 20)],
        [("p", 26), ("q", 27)],
        [("s", 29), ("t", 29)],
    ]
    align, equation, bracket, dollars = doc.chains
    assert align.relations == ["=", "=", "approx"]
    assert align.section == ("Intro", "Part one") and dollars.section == ("Two",)
    assert (align.label, align.annotation_line, align.block_line) == ("first", 8, 9)
    assert equation.kind == "equations" and equation.label == "eqs"
    assert equation.annotation == {"id": "eqs", "cases": "t > 0"}
    assert bracket.annotation is None
    # A derive comment in the preamble is document-wide context.
    assert doc.front_matter == {"derive": {"symbols": {"x": "real"}}}


def test_tex_without_document_environment_reads_everything() -> None:
    doc = tex("text\n\\[ a = b \\]\n")
    assert items(only_chain(doc)) == [("a", 2), ("b", 2)]


def test_tex_unclosed_environment_and_unsupported_relation_are_problems() -> None:
    doc = tex("\\[ a \\Rightarrow b \\]\n\\begin{align}x = 1\n")
    assert doc.chains == []
    assert sorted(p.line for p in doc.problems) == [1, 2]


def test_tex_invalid_annotation_yaml_is_a_problem_with_its_line() -> None:
    doc = tex("\\begin{document}\n% derive: {id: [x\n\\[ a = b \\]\n\\end{document}\n")
    assert [p.line for p in doc.problems] == [2]
    assert only_chain(doc).annotation is None


def test_tex_file_suffix_selects_latex_reader(tmp_path: Path) -> None:
    path = tmp_path / "n.tex"
    path.write_text("% $$a = b$$\n\\begin{equation} x = y \\end{equation}\n", encoding="utf-8")
    assert items(only_chain(read_document(path))) == [("x", 2), ("y", 2)]


# --------------------------------------------------------------------------
# Unreadable files
# --------------------------------------------------------------------------


def _one_line_error(path: Path) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        read_document(path)
    error = info.value
    assert "\n" not in str(error)
    assert str(error) == f"{path}: {error.message}"
    assert error.path == str(path)
    return error


def test_missing_file_is_a_document_error(tmp_path: Path) -> None:
    assert "no such file" in _one_line_error(tmp_path / "nope.md").message


def test_directory_is_a_document_error(tmp_path: Path) -> None:
    assert "directory" in _one_line_error(tmp_path).message


def test_binary_file_is_a_document_error(tmp_path: Path) -> None:
    path = tmp_path / "b.md"
    path.write_bytes(b"\x89PNG\r\n\x00\x00data")
    assert "binary file" in _one_line_error(path).message


def test_invalid_utf8_reports_where_the_bad_byte_is(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(b"ok\nfine\nab\xffcd\n")
    message = _one_line_error(path).message
    assert "UTF-8" in message and "offset 10" in message and "line 3" in message


def test_oversized_file_is_a_document_error(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"a" * (5 * 1024 * 1024 + 1))
    assert "too large" in _one_line_error(path).message


def test_bad_content_never_raises() -> None:
    doc = md("---\n: : :\n---\n$$ { $$\n<!-- derive: [ -->\n$$a = b$$\n\\[ \\]\n$$$$\n")
    assert doc.problems and isinstance(doc.chains, list)


PIECES = st.sampled_from([
    "a", "b", "=", "&", "\\\\", "{", "}", "(", ")", "$", "$$", "\n", " ", "\t", "%", "-", "#",
    "`", ">", "\\begin{aligned}", "\\end{aligned}", "\\[", "\\]", "\\approx", "\\le",
    "<!-- derive: {id: x} -->", "\\label{q}", "\\section{s}", "\r\n", "\\frac{a}{b}",
])


@settings(max_examples=300, deadline=None)
@given(text=st.lists(PIECES, max_size=40).map("".join), kind=st.sampled_from(["md", "tex"]))
def test_any_text_never_raises_and_every_item_points_at_its_text(text: str, kind: str) -> None:
    doc = parse_document(text, "f", kind)
    lines = doc.text.split("\n")
    for chain in doc.chains:
        assert len(chain.relations) == len(chain.items) - 1 >= 1
        for item in chain.items:
            assert lines[item.line - 1][item.column - 1] == item.latex[0]


# --------------------------------------------------------------------------
# The real seed note
# --------------------------------------------------------------------------


@pytest.fixture
def seed() -> Document:
    if not SEED.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"seed note missing in CI: {SEED}")
        pytest.skip(f"seed note not available at {SEED}")
    return read_document(SEED)


def _chain_at(doc: Document, line: int) -> RawChain:
    (chain,) = [c for c in doc.chains if c.line == line]
    return chain


def test_seed_note_chain_count_and_lines(seed: Document) -> None:
    assert seed.problems == []
    assert [c.line for c in seed.chains] == [
        31, 36, 46, 48, 60, 65, 68, 73, 80, 84, 88, 97, 104, 112, 115, 119, 126, 136, 145]
    assert all(c.kind == "expressions" for c in seed.chains)
    assert all(set(c.relations) == {"="} for c in seed.chains)


def test_seed_inline_single_dollar_chain_is_not_read(seed: Document) -> None:
    # line 61 writes `$a_i = \sigma(z_i) = …$` with single dollars: inline, not checked
    assert all(c.line != 61 for c in seed.chains)


def test_seed_cross_entropy_gradient_w_has_six_rows(seed: Document) -> None:
    chain = _chain_at(seed, 88)
    assert chain.block_line == 87
    assert [i.line for i in chain.items] == [88, 88, 89, 90, 91, 92, 93]
    assert chain.items[0].latex == "\\frac{\\partial{L}}{\\partial{w}}"
    assert chain.items[-1].latex == "x(a-y)"
    assert chain.section[-1] == "交叉熵误差与梯度更新"


def test_seed_softmax_definition_written_inline(seed: Document) -> None:
    chain = _chain_at(seed, 112)
    assert items(chain) == [("a_{j}", 112), ("\\frac{e^{z_j}}{\\sum_k^m{e^{z_k}}}", 112)]
    assert [i.column for i in chain.items] == [47, 55]


def test_seed_mse_gradient_block_mid_paragraph(seed: Document) -> None:
    chain = _chain_at(seed, 68)
    assert chain.block_line == 67
    assert [i.line for i in chain.items] == [68, 68, 69]


def test_seed_case_blocks_in_list_items(seed: Document) -> None:
    diag = _chain_at(seed, 126)  # q = j: opens on the same line as \begin{aligned}
    assert [i.line for i in diag.items] == [126, 126, 126, 127, 128, 129, 130, 131]
    assert diag.items[-1].latex == "a_j(1-a_j)"
    off = _chain_at(seed, 136)  # q ≠ j
    assert off.block_line == 135
    assert [i.line for i in off.items] == [136, 136, 137, 138, 139, 140]
    assert off.items[-1].latex == "- a_q a_j"
    final = _chain_at(seed, 145)
    assert [i.line for i in final.items] == [145, 145, 145, 146, 147, 148, 149]
    assert final.items[-1].latex == "a_j - y_j"


def test_seed_blocks_ending_with_trailing_space_and_prose(seed: Document) -> None:
    chain = _chain_at(seed, 36)  # `\end{aligned}$$ ` then a prose line
    assert chain.block_line == 35
    assert [i.line for i in chain.items] == [36, 36, 37]
    assert [i.line for i in _chain_at(seed, 46).items] == [46, 46]
    assert [i.line for i in _chain_at(seed, 48).items] == [48, 48]


def test_seed_note_as_crlf_with_bom_keeps_every_position(seed: Document, tmp_path: Path) -> None:
    path = tmp_path / "crlf.md"
    path.write_bytes(b"\xef\xbb\xbf" + seed.text.replace("\n", "\r\n").encode())
    again = read_document(path)
    assert [[(i.line, i.column) for i in c.items] for c in again.chains] == [
        [(i.line, i.column) for i in c.items] for c in seed.chains]


# --------------------------------------------------------------------------
# Sentence punctuation ending a display (issue 11)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "end", [".", ",", ";", " .", r" \;.", r"\,.", r" \text{.}", r"\quad ,", "\\;;"]
)
def test_sentence_punctuation_at_the_end_of_a_row_is_not_part_of_the_formula(end: str) -> None:
    doc = md(f"Thus\n\n$$\nf(x) = x^2 + 1{end}\n$$\n")
    assert items(only_chain(doc)) == [("f(x)", 4), ("x^2 + 1", 4)]


def test_punctuation_ends_every_row_of_an_aligned_block_in_tex() -> None:
    doc = tex(
        "\\begin{align*}\r\n(a+b)^2 &= a^2 + 2ab + b^2, \\\\\r\n"
        "&= b^2 + 2ab + a^2.\r\n\\end{align*}\r\n"
    )
    assert items(only_chain(doc)) == [
        ("(a+b)^2", 2),
        ("a^2 + 2ab + b^2", 2),
        ("b^2 + 2ab + a^2", 3),
    ]


def test_spacing_commands_and_inner_commas_are_kept() -> None:
    # `\,` and `\;` are spacing, not punctuation; a comma inside an argument list stays
    doc = md("$$\ng(x, y) = x y \\,\n$$\n\n$$\nh = 2 \\;\n$$\n")
    assert [items(c) for c in doc.chains] == [
        [("g(x, y)", 2), ("x y \\,", 2)],
        [("h", 6), ("2 \\;", 6)],
    ]


# --------------------------------------------------------------------------
# Math environments written bare in Markdown (issue 11)
# --------------------------------------------------------------------------


def test_bare_align_in_markdown_is_display_math_with_its_lines() -> None:
    doc = md(
        "Expand:\r\n\r\n\\begin{align*}\r\n(a+b)^2 &= a^2 + b^2 \\\\\r\n"
        "&= b^2 + a^2\r\n\\end{align*}\r\n\r\nDone.\r\n"
    )
    chain = only_chain(doc)
    assert items(chain) == [("(a+b)^2", 4), ("a^2 + b^2", 4), ("b^2 + a^2", 5)]
    assert chain.items[1].column == 12


@pytest.mark.parametrize("env", ["equation", "equation*", "gather*", "multline", "eqnarray*"])
def test_every_bare_display_environment_is_read(env: str) -> None:
    doc = md(f"Text.\n\n\\begin{{{env}}}\nx + x = 2x\n\\end{{{env}}}\n")
    assert items(only_chain(doc)) == [("x + x", 4), ("2x", 4)]


def test_bare_environment_inside_a_list_item() -> None:
    doc = md("- first\n\n  \\begin{align*}\n  y &= 3 + 4\n  \\end{align*}\n")
    assert items(only_chain(doc)) == [("y", 4), ("3 + 4", 4)]


def test_bare_environment_in_code_is_not_math() -> None:
    assert md("```\n\\begin{align*}\nx &= 1 + 1\n\\end{align*}\n```\n").chains == []


def test_slip_in_a_bare_align_is_refuted_at_its_line(tmp_path: Path) -> None:
    from derive.check import check_document

    note = tmp_path / "note.md"
    note.write_text("# Note\n\n\\begin{align*}\n(a+b)^2 &= a^2 + b^2\n\\end{align*}\n")
    [step] = [s for c in check_document(note).chains for s in c.steps]
    assert (step.verdict, step.line) == ("refuted", 4)


# --------------------------------------------------------------------------
# A row that could not be read is a gap, never a bridge (issue 11)
# --------------------------------------------------------------------------


def test_a_chain_does_not_continue_across_an_unread_row() -> None:
    # the lost row carries `\ge`: comparing b + c with e + f would claim what the author never did
    doc = md("$$\na &= b + c \\\\\n&\\ge d \\\\\n&= e + f \\\\\n&= g\n$$\n")
    assert [items(c) for c in doc.chains] == [
        [("a", 2), ("b + c", 2)],
        [("e + f", 4), ("g", 5)],
    ]
    assert [(p.line, p.fragment) for p in doc.problems] == [(3, "\\ge"), (4, "= e + f")]
    assert "it continues line 3, which could not be read" in doc.problems[1].message


def test_equations_on_both_sides_of_an_unread_row_are_separate_claims() -> None:
    doc = tex("\\begin{align*}\nx &= 1 + 1 \\\\\ny &\\ge 2 \\\\\nz &= 3\n\\end{align*}\n")
    assert [(c.kind, items(c)) for c in doc.chains] == [
        ("expressions", [("x", 2), ("1 + 1", 2)]),
        ("expressions", [("z", 4), ("3", 4)]),
    ]

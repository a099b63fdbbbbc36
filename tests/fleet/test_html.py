"""The fleet's HTML report in real headless Chromium: it renders the incidents, and opening
it makes no network request even when repository content is built to make one."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_guard.report import html
from testing.chromium import evaluate, find_or_install, open_page
from testing.cli import run_cli
from testing.fleet import KEYS, env_file, make_fleet
from testing.git_repo import commit, git
from testing.github import assert_no_secret


@pytest.fixture(scope="session")
def chromium() -> str:
    return find_or_install()


@pytest.fixture
def trap() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on 127.0.0.1 recording every request a page might make."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()


def test_html_report_renders_incidents_and_fetches_nothing(
    tmp_path: Path, chromium: str, trap: tuple[int, list[str]]
) -> None:
    port, hits = trap
    repos = make_fleet(tmp_path / "org")
    # A file name that is markup loading from the trap if it were ever not escaped.
    hostile = f'x<img src="http:/127.0.0.1:{port}/pwn">.env'
    commit(repos["beta"], {hostile: env_file(KEYS[3])}, "hostile name")
    report = tmp_path / "report.html"
    proc = run_cli(
        "fleet",
        str(tmp_path / "org"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--workers",
        "1",
        "--format",
        "html",
        "--output",
        str(report),
    )
    assert proc.returncode == 1, proc.stderr
    page = report.read_text()
    for key in KEYS:
        assert key not in page
    assert "<img" not in page and "&lt;img src=&quot;http:/127.0.0.1" in page
    assert "default-src 'none'" in page

    browser, session = open_page(chromium, tmp_path / "profile", report.as_uri())
    try:
        text = evaluate(browser, session, "document.body.innerText")
        keys = evaluate(browser, session, "document.querySelectorAll('#keys .key').length")
        images = evaluate(browser, session, "document.images.length")
        dots = evaluate(browser, session, "document.querySelectorAll('#timeline circle').length")
    finally:
        browser.close()
    # Keys 0 and 5 (alpha, gamma, delta), key 1 (alpha, gamma), key 3 (beta).
    assert keys == 4 and dots == 4
    assert images == 0
    assert "STILL AT HEAD" in text and "history only" in text
    assert hostile in text  # shown as text
    for name in ("alpha", "beta", "gamma", "delta", "deploy/bot.env:1", "vendor/bot.env:1"):
        assert name in text
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requests == [report.as_uri()]
    assert hits == []


# Text whose contrast with its background is below WCAG AA's 4.5:1, as "tag.class ratio text".
LOW_CONTRAST = """(() => {
  const luminance = (colour) => {
    const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      v = Number(v) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor, parts = c.match(/[\\d.]+/g);
      if (parts.length < 4 || Number(parts[3]) > 0) return c;
    }
    return "rgb(255, 255, 255)";
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text || el.closest("svg")) continue;
    const a = luminance(getComputedStyle(el).color), b = luminance(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}`);
  }
  return low;
})()"""


def test_html_report_keeps_names_as_text_and_its_text_readable(
    tmp_path: Path, chromium: str
) -> None:
    """A repository named like markup stays text; new, gone and incomplete rows and every
    severity badge have AA contrast (4.5:1)."""
    repos = make_fleet(tmp_path / "org")
    shutil.copytree(repos["delta"], tmp_path / "org" / "<b id=pwned>bold")
    cache, report = tmp_path / "cache", tmp_path / "report.html"
    args = ("fleet", "--cache-dir", str(cache), "--workers", "1", "--output", str(report))
    assert run_cli(*args, str(tmp_path / "org")).returncode == 1
    git(repos["alpha"], "reset", "-q", "--hard", "HEAD~1")  # its bot.env key: gone
    commit(repos["beta"], {"ops/new.env": env_file(KEYS[3])}, "new key")
    proc = run_cli(*args, "--format", "html", str(tmp_path / "org"), str(tmp_path / "none"))
    assert proc.returncode == 2, proc.stderr
    browser, session = open_page(chromium, tmp_path / "profile", report.as_uri())
    try:
        injected = evaluate(browser, session, "document.getElementById('pwned') !== null")
        text = evaluate(browser, session, "document.body.innerText")
        rows = evaluate(
            browser, session, "[...document.querySelectorAll('tr')].map(r => r.className)"
        )
        # A badge of each severity's colour, whichever this fleet's keys have.
        evaluate(
            browser,
            session,
            f"for (const c of {json.dumps(list(html.COLOURS.values()))}) {{"
            " const s = document.createElement('span'); s.className = 'sev';"
            " s.style.background = c; s.textContent = c; document.body.append(s); }",
        )
        low = evaluate(browser, session, LOW_CONTRAST)
    finally:
        browser.close()
    assert not injected and "<b id=pwned>bold" in text
    assert {"new", "gone", "unchanged", "bad"} <= set(rows)
    assert low == [], sorted(set(low))
    assert_no_secret(report.read_text(), KEYS)

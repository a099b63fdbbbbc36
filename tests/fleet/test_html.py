"""The fleet's HTML report in real headless Chromium: it renders the incidents, and opening
it makes no network request even when repository content is built to make one."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.chromium import evaluate, find_or_install, open_page
from testing.cli import run_cli
from testing.fleet import KEYS, env_file, make_fleet
from testing.git_repo import commit


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

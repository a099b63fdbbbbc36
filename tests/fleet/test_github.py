"""Discovery of an organisation's repositories through GitHub's REST API, against a local
server answering with the documented shapes: paginated lists, Link headers, errors."""

from __future__ import annotations

import datetime
import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from binance_guard.fleet import discovery
from testing import synthetic
from testing.cli import run_cli
from testing.fleet import KEYS, by_repo, env_file, fleet
from testing.hostile_http import (
    Behaviour,
    Hostile,
    answer,
    drip,
    flood,
    hang,
    head,
    localhost_tls,
    serving,
)
from testing.services import GitHTTP, Request, https


class GitHub:
    """``GET /api/v3/orgs/{org}/repos``: two repositories a page, ``Link`` to the next."""

    def __init__(self, repos: list[dict[str, Any]]) -> None:
        self.repos = repos
        self.requests: list[tuple[str, str | None]] = []
        # A query part -> the rate-limit headers of a 403 answered to it, once.
        self.limited: dict[str, dict[str, str]] = {}
        github = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                github.requests.append((self.path, self.headers.get("Authorization")))
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                if url.path != "/api/v3/orgs/acme/repos":
                    body = {"message": "Not Found", "documentation_url": "https://docs.github.com"}
                    return self._send(404, body, {})
                limit = next((q for q in github.limited if url.query.endswith(q)), None)
                if limit is not None:
                    body = {"message": "API rate limit exceeded for installation ID 1."}
                    return self._send(403, body, github.limited.pop(limit))
                page = int(query.get("page", ["1"])[0])
                pages = -(-len(github.repos) // 2)
                links = []
                base = f"http://127.0.0.1:{github.port}{url.path}?per_page=100&type=all"
                if page < pages:
                    links.append(f'<{base}&page={page + 1}>; rel="next"')
                    links.append(f'<{base}&page={pages}>; rel="last"')
                if page > 1:
                    links.append(f'<{base}&page={page - 1}>; rel="prev"')
                    links.append(f'<{base}&page=1>; rel="first"')
                headers = {"Link": ", ".join(links)} if links else {}
                self._send(200, github.repos[(page - 1) * 2 : page * 2], headers)

            def _send(self, status: int, body: object, headers: dict[str, str]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v3"


def _repo(
    index: int, name: str, path: Path, fork: bool = False, archived: bool = False
) -> dict[str, Any]:
    return {
        "id": 1000 + index,
        "node_id": f"R_{index}",
        "name": name,
        "full_name": f"acme/{name}",
        "private": False,
        "owner": {"login": "acme", "type": "Organization"},
        "html_url": f"https://github.com/acme/{name}",
        "fork": fork,
        "archived": archived,
        "disabled": False,
        "default_branch": "main",
        "clone_url": path.as_uri(),
        "ssh_url": f"git@github.com:acme/{name}.git",
    }


@pytest.fixture
def github(tmp_path: Path) -> Iterator[GitHub]:
    org = tmp_path / "org"
    bot = synthetic.repository(org / "bot.git", "bot", 4, 2, {1: env_file(KEYS[0])})
    synthetic.fork(bot, org / "bot-fork.git", "bot-fork")
    synthetic.repository(org / "web.git", "web", 3, 2)
    synthetic.repository(org / "old.git", "old", 3, 2, {2: env_file(KEYS[4])})
    repos = [
        _repo(1, "bot", org / "bot.git"),
        _repo(2, "web", org / "web.git"),
        _repo(3, "bot-fork", org / "bot-fork.git", fork=True),
        _repo(4, "old", org / "old.git", archived=True),
        _repo(5, "more", org / "web.git"),  # same source as web: mirrored and scanned once
    ]
    server = GitHub(repos)
    yield server
    server.server.shutdown()


def test_every_page_of_an_organisation_is_scanned(github: GitHub, tmp_path: Path) -> None:
    doc = fleet(
        tmp_path / "cache",
        "--github-org",
        "acme",
        "--github-api-url",
        github.api,
        env={"GITHUB_TOKEN": "test-token-123"},
    )
    assert doc["exit"] == 1
    repos = by_repo(doc)
    assert set(repos) == {"bot", "web", "bot-fork", "old"}
    assert repos["bot-fork"]["fork"] is True and repos["old"]["archived"] is True
    assert [path for path, _ in github.requests] == [
        "/api/v3/orgs/acme/repos?per_page=100&type=all",
        "/api/v3/orgs/acme/repos?per_page=100&type=all&page=2",
        "/api/v3/orgs/acme/repos?per_page=100&type=all&page=3",
    ]
    assert {auth for _, auth in github.requests} == {"Bearer test-token-123"}
    (key0,) = [k for k in doc["keys"] if len(k["repos"]) == 2]
    assert key0["repos"] == ["acme/bot", "acme/bot-fork"]
    assert {f["repo"] for f in doc["findings"]} == {"acme/bot", "acme/bot-fork", "acme/old"}


def test_forks_and_archived_repositories_can_be_left_out(github: GitHub, tmp_path: Path) -> None:
    doc = fleet(
        tmp_path / "cache",
        "--github-org",
        "acme",
        "--github-api-url",
        github.api,
        "--skip-forks",
        "--skip-archived",
    )
    assert set(by_repo(doc)) == {"bot", "web"}
    assert {auth for _, auth in github.requests} == {None}


def test_an_unknown_organisation_is_one_error_line(github: GitHub, tmp_path: Path) -> None:
    proc = run_cli(
        "fleet",
        "--cache-dir",
        str(tmp_path / "c"),
        "--github-org",
        "nope",
        "--github-api-url",
        github.api,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("binance-guard: error: GitHub API 404")
        and "Not Found" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def _serve(
    status: int, headers: dict[str, str], seen: list[str | None]
) -> http.server.ThreadingHTTPServer:
    """A server on 127.0.0.1 (another port is another origin) answering every GET alike and
    noting the Authorization header each brought."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(
    ("status", "header", "template"),
    [(302, "Location", "{}"), (301, "Location", "{}"), (200, "Link", '<{}?page=2>; rel="next"')],
)
def test_the_token_goes_to_the_apis_host_only(
    tmp_path: Path, status: int, header: str, template: str
) -> None:
    """A redirect or a next page on another host is not followed (urllib would carry the
    Authorization header there): one error line, nothing sent elsewhere."""
    reached: list[str | None] = []
    elsewhere = _serve(200, {}, reached)
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}/orgs/acme/repos"
    api = _serve(status, {header: template.format(target)}, [])
    proc = run_cli(
        "fleet",
        "--cache-dir",
        str(tmp_path / "c"),
        "--github-org",
        "acme",
        "--github-api-url",
        f"http://127.0.0.1:{api.server_address[1]}",
        env={"GITHUB_TOKEN": "test-token-123"},
    )
    api.shutdown()
    elsewhere.shutdown()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("binance-guard: error: GitHub API: ")
    assert "another host" in proc.stderr and "Traceback" not in proc.stderr
    assert reached == []


def test_clones_get_the_token_only_from_the_apis_github(tmp_path: Path) -> None:
    repos = [
        {"full_name": f"acme/{n}", "clone_url": url}
        for n, url in [
            ("same", "https://127.0.0.1:{port}/acme/same.git"),
            ("other", "https://evil.example/acme/other.git"),
            ("plain", "http://127.0.0.1:{port}/acme/plain.git"),
        ]
    ]
    github = GitHub([])
    port = github.port
    github.repos = [{**r, "clone_url": str(r["clone_url"]).format(port=port)} for r in repos]
    try:
        specs = discovery.github_org("acme", github.api, "test-token-123")
    finally:
        github.server.shutdown()
    assert {s.name: s.auth for s in specs} == {
        "acme/same": True,
        "acme/other": False,
        "acme/plain": False,
    }
    assert discovery._token_goes_to("https://github.com/a/b.git", "https://api.github.com")
    assert not discovery._token_goes_to("https://gitlab.com/a/b.git", "https://api.github.com")


def test_a_clone_redirected_to_another_host_does_not_carry_the_token(tmp_path: Path) -> None:
    """GitHub Enterprise serves the API and the clones; one clone URL answers with a redirect
    to another server. git follows it and then sends every later request of the clone there,
    with the extra header the token travels in: not followed, that repository is incomplete."""
    tls, ca = localhost_tls(tmp_path)
    root = tmp_path / "srv"
    synthetic.repository(root / "bot.git", "bot", 3, 1, {1: env_file(KEYS[0])})
    requests: list[Request] = []

    class Elsewhere(GitHTTP):
        pass

    Elsewhere.root, Elsewhere.requests = root, requests
    with https(Elsewhere, tls) as elsewhere:

        class Enterprise(GitHTTP):
            def do_GET(self) -> None:
                if self.path.startswith("/moved/"):
                    self.noted()
                    self.send_response(301)
                    self.send_header("Location", elsewhere + self.path.removeprefix("/moved"))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path.startswith("/api/v3/orgs/acme/repos"):
                    self.noted()
                    raw = json.dumps(
                        [
                            {"full_name": f"acme/{name}", "clone_url": f"{enterprise}{path}"}
                            for name, path in (("bot", "/bot.git"), ("moved", "/moved/bot.git"))
                        ]
                    ).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                else:
                    self.git()

        Enterprise.root, Enterprise.requests = root, requests
        with https(Enterprise, tls) as enterprise:
            doc = fleet(
                tmp_path / "cache",
                "--github-org",
                "acme",
                "--github-api-url",
                f"{enterprise}/api/v3",
                env={
                    "GITHUB_TOKEN": "test-token-123",
                    "SSL_CERT_FILE": str(ca),
                    "GIT_SSL_CAINFO": str(ca),
                },
                code=(2,),
            )
    port = int(enterprise.rsplit(":", 1)[1])
    clones = {auth for at, _, path, auth in requests if at == port and "/api/" not in path}
    (header,) = clones  # the token, on every clone request there
    assert header is not None
    assert {auth for at, _, _, auth in requests if at != port} <= {None}
    assert by_repo(doc)["bot"]["status"] == "complete"
    assert by_repo(doc)["moved"]["status"] == "incomplete"
    assert {f["repo"] for f in doc["findings"]} == {"acme/bot"}
    assert "test-token-123" not in json.dumps(doc) and header not in json.dumps(doc)


@pytest.mark.parametrize(
    "limit",
    [
        {"Retry-After": "1"},  # a secondary rate limit (GitHub answers 403 or 429)
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "{now}"},  # the hourly one
    ],
)
def test_a_short_rate_limit_is_waited_out(
    github: GitHub, tmp_path: Path, limit: dict[str, str]
) -> None:
    """GitHub's documented answer: wait Retry-After seconds, or until X-RateLimit-Reset."""
    github.limited = {"page=2": ({k: v.format(now=int(time.time())) for k, v in limit.items()})}
    doc = fleet(tmp_path / "cache", "--github-org", "acme", "--github-api-url", github.api)
    assert set(by_repo(doc)) == {"bot", "web", "bot-fork", "old"}
    assert [path.rsplit("&", 1)[-1] for path, _ in github.requests[1:]] == [
        "page=2",
        "page=2",
        "page=3",
    ]


def test_a_long_rate_limit_is_one_error_line_saying_when_it_ends(
    github: GitHub, tmp_path: Path
) -> None:
    reset = int(time.time()) + 3000
    github.limited = {"page=2": {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}}
    proc = run_cli(
        "fleet",
        "--cache-dir",
        str(tmp_path / "c"),
        "--github-org",
        "acme",
        "--github-api-url",
        github.api,
        env={"GITHUB_TOKEN": "test-token-123"},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith("binance-guard: error: GitHub API rate limit exceeded")
    until = datetime.datetime.fromtimestamp(reset, datetime.UTC).strftime("%H:%M:%SZ")
    assert until in line and "test-token-123" not in proc.stdout + proc.stderr
    assert len(github.requests) == 2  # not hammered


def _hostile_api(page: Callable[[str], Behaviour]) -> Hostile:
    """A GitHub API answering every request with ``page(its own URL)``."""
    hostile = Hostile(lambda wire: page(hostile.url)(wire))
    return hostile


def _discover(hostile: Hostile) -> str:
    """The error discovery ends with against ``hostile``."""
    with pytest.raises(discovery.GitHubError) as failure:
        discovery.github_org("acme", hostile.url, "test-token-123")
    return str(failure.value)


def test_a_next_page_that_links_back_stops_at_once() -> None:
    """A Link loop (page 2 -> page 2) is an error at the first repeat, not 10,000 pages."""
    repos = [{"full_name": "acme/a", "clone_url": "https://127.0.0.1/acme/a.git"}]

    def page(url: str) -> Behaviour:
        return answer(200, repos, {"Link": f'<{url}/orgs/acme/repos?page=2>; rel="next"'})

    with serving(_hostile_api(page)) as hostile:
        message = _discover(hostile)
        assert len(hostile.requests) == 2
    assert "links back to a page already read" in message


def test_a_page_of_more_repositories_than_asked_for_is_refused() -> None:
    """per_page=100: a page listing more (a million small entries fit in 32 MiB, each page
    anew) is not a GitHub's, and every one would become a repository to clone."""
    repos = [{"clone_url": f"https://127.0.0.1/acme/{i}.git"} for i in range(101)]
    with serving(_hostile_api(lambda url: answer(200, repos))) as hostile:
        assert "more than 100 repositories" in _discover(hostile)


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(drip(head(200) + b"[", b" "), id="body-drip"),
        pytest.param(drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"), id="header-drip"),
        pytest.param(hang, id="no-answer"),
    ],
)
def test_a_slow_page_cannot_outlast_its_deadline(
    behaviour: Behaviour, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A byte every 50 ms resets any per-read timeout: only a deadline on the whole page
    ends it. A correctness bound, not a benchmark: a 1 s page is over long before 20 s."""
    monkeypatch.setattr(discovery, "PAGE_DEADLINE", 1.0)
    messages: list[str] = []
    with serving(Hostile(behaviour)) as hostile:
        done = threading.Thread(target=lambda: messages.append(_discover(hostile)), daemon=True)
        done.start()
        done.join(20.0)
        assert hostile.requests
    assert messages == ["GitHub API: no complete page within 1 s"]


def test_an_error_page_that_never_ends_is_read_no_further_than_its_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An error's body holds GitHub's one-line message: a flood is not read to the end."""
    monkeypatch.setattr(discovery, "PAGE_DEADLINE", 5.0)
    with serving(Hostile(flood(status=404))) as hostile:
        message = _discover(hostile)
    assert message == "GitHub API 404 for organisation acme: "


@pytest.mark.parametrize("url", ["notaurl", "ftp://127.0.0.1/api", "http://[::1/api", "https://"])
def test_an_api_url_that_is_not_http_is_one_error_line(tmp_path: Path, url: str) -> None:
    proc = run_cli(
        "fleet", "--cache-dir", str(tmp_path / "c"), "--github-org", "acme",
        "--github-api-url", url,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr == f"binance-guard: error: --github-api-url {url}: not an http(s) URL\n"

"""Which repositories make up the fleet: paths, directories of repositories, clone URLs, a
list file, or an organisation on GitHub (REST API, every page)."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import http.client
import json
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from typing import IO, Any

from binance_guard.errors import GuardError, UsageError
from binance_guard.net import DeadlineSocket, Expired
from binance_guard.regex import compile_now
from binance_guard.report.redact import strip_credentials
from binance_guard.report.sanitize import shown

URL_RE = compile_now(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|[\w.-]+@[\w.-]+:)")
DEFAULT_GITHUB_API = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"
MAX_DEPTH = 4  # directories of directories of repositories (org/team/repo) and no deeper


@dataclasses.dataclass(frozen=True)
class RepoSpec:
    """One repository to mirror: ``source`` is what git clones (a URL or an absolute path)."""

    name: str
    source: str
    fork: bool = False
    archived: bool = False
    auth: bool = False  # send GITHUB_TOKEN to the source's host (discovered on GitHub)
    error: str | None = None  # known bad before anything ran

    @property
    def display(self) -> str:
        """The source without credentials a URL may carry (``https://user:token@host``)."""
        return strip_credentials(self.source)

    @property
    def id(self) -> str:
        """Stable across runs: the store and the mirror are keyed by it."""
        return hashlib.sha256(self.source.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _name_of_url(url: str) -> str:
    path = urllib.parse.urlsplit(url).path if "://" in url else url.split(":", 1)[1]
    parts = [p for p in path.rstrip("/").removesuffix(".git").split("/") if p]
    return "/".join(parts[-2:]) or url


def _is_repository(path: str) -> bool:
    """A work tree (``.git`` directory or file) or a bare repository, judged from the files."""
    if os.path.lexists(os.path.join(path, ".git")):
        return True
    return all(os.path.exists(os.path.join(path, part)) for part in ("HEAD", "objects", "refs"))


def _repositories_under(directory: str, depth: int = 0) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False) or entry.name.startswith("."):
            continue
        if _is_repository(entry.path):
            yield entry.path
        elif depth + 1 < MAX_DEPTH:
            yield from _repositories_under(entry.path, depth + 1)


def expand(arguments: Iterable[str]) -> list[RepoSpec]:
    """Each argument as a repository, or the repositories a directory holds; a path that is
    neither becomes a spec with an error, reported with the rest of the fleet."""
    specs: list[RepoSpec] = []
    for argument in arguments:
        if URL_RE.match(argument):
            specs.append(RepoSpec(_name_of_url(argument), argument))
            continue
        path = os.path.abspath(argument)
        if not os.path.isdir(path):
            specs.append(RepoSpec(argument, path, error="no such directory"))
        elif _is_repository(path):
            specs.append(RepoSpec(argument.rstrip("/") or argument, path))
        else:
            found = [
                RepoSpec(os.path.join(argument, os.path.relpath(p, path)), p)
                for p in _repositories_under(path)
            ]
            specs.extend(found or [RepoSpec(argument, path, error="no git repositories in it")])
    return specs


def read_list(text: bytes, path: str) -> list[str]:
    """``--from FILE`` (its ``text``): one repository per line; blank lines and ``#``
    comments ignored."""
    try:
        lines = [line.strip() for line in text.decode("utf-8").splitlines()]
    except UnicodeDecodeError as exc:
        raise UsageError(f"--from {path}: {exc}") from None
    return [line for line in lines if line and not line.startswith("#")]


def unique(specs: Iterable[RepoSpec]) -> list[RepoSpec]:
    """One spec per source (the first named): a repository listed twice is mirrored once."""
    first: dict[str, RepoSpec] = {}
    for spec in specs:
        first.setdefault(spec.id, spec)
    return list(first.values())


class GitHubError(GuardError):
    """The GitHub API refused or failed; the message carries its answer."""


def _next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header (RFC 8288), as GitHub paginates."""
    for part in (header or "").split(","):
        match = re.match(r"\s*<([^>]*)>\s*;(.*)", part)
        if match and re.search(r'\brel="?next"?', match.group(2)):
            return match.group(1)
    return None


MAX_PAGE_BYTES = 32 << 20  # a page of 100 repositories is about 0.5 MB
MAX_ERROR_BYTES = 64 << 10  # an error's body: GitHub's message and a documentation link
PER_PAGE = 100  # what each page is asked for: a page with more is not GitHub's
PAGE_DEADLINE = 120.0  # seconds for a page, redirects included: GitHub answers in about one
MAX_WAIT = 60.0  # seconds a rate-limited page waits to be asked again; longer is an error


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.hostname, parts.port


def _token_goes_to(clone_url: str, api_url: str) -> bool:
    """The token is for the GitHub the API belongs to: clones from its host (GitHub
    Enterprise serves both, the API under /api/v3) or, for api.github.com, github.com."""
    clone, api = urllib.parse.urlsplit(clone_url), urllib.parse.urlsplit(api_url)
    if clone.scheme != "https" or not api.hostname or clone.port != api.port:
        return False
    return clone.hostname in (api.hostname, api.hostname.removeprefix("api."))


def _elsewhere(what: str, url: str) -> GitHubError:
    return GitHubError(
        f"GitHub API: {what} another host ({shown(strip_credentials(url))}): not "
        "followed, the token goes to the API's host only"
    )


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """A redirect is followed on the API's own host only (GitHub moves a renamed
    organisation's URL there): urllib would carry the Authorization header to any host."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            raise _elsewhere("a redirect to", newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Page:
    """One page's exchanges (a redirect is another), every send and receive bounded by one
    deadline: a byte every few seconds resets a socket's timeout, and would hang the run."""

    def __init__(self) -> None:
        self.ends = time.monotonic() + PAGE_DEADLINE
        self.sockets: list[socket.socket] = []

    def opener(self) -> urllib.request.OpenerDirector:
        return urllib.request.build_opener(_SameOrigin, _HTTP(self), _HTTPS(self))

    def remaining(self) -> float:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise Expired
        return remaining

    def bound(self, sock: socket.socket) -> DeadlineSocket:
        self.sockets.append(sock)
        return DeadlineSocket(sock, self.ends)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


class _Bounded(http.client.HTTPConnection):
    """A connection whose socket, once connected, stops at its page's deadline."""

    def __init__(self, *args: Any, page: _Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page = page

    def connect(self) -> None:
        self.timeout = self.page.remaining()  # for the connection and the TLS handshake
        super().connect()
        self.sock = self.page.bound(self.sock)


class _BoundedTLS(_Bounded, http.client.HTTPSConnection):
    pass


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, page: _Page) -> None:
        super().__init__()
        self.page = page

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_Bounded, page=self.page), req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, page: _Page) -> None:
        super().__init__()
        self.page = page

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        context = self._context  # type: ignore[attr-defined]
        return self.do_open(functools.partial(_BoundedTLS, page=self.page), req, context=context)


def _rate_limit_wait(error: urllib.error.HTTPError) -> float | None:
    """Seconds GitHub asks a client to wait before asking again (its documented rate-limit
    answers: 403 or 429 with Retry-After, or with no requests left until X-RateLimit-Reset),
    or None for another error."""
    if error.code not in (403, 429):
        return None
    retry = error.headers.get("Retry-After", "")
    if retry.isdigit():
        return float(retry)
    reset = error.headers.get("X-RateLimit-Reset", "")
    if error.headers.get("X-RateLimit-Remaining") == "0" and reset.isdigit():
        return max(0.0, int(reset) - time.time())
    return 60.0 if error.code == 429 else None  # "wait at least one minute"


def github_org(
    org: str,
    api_url: str = DEFAULT_GITHUB_API,
    token: str | None = None,
    forks: bool = True,
    archived: bool = True,
) -> list[RepoSpec]:
    """Every repository of ``org`` (``GET /orgs/{org}/repos``, 100 a page, ``Link: next``)."""
    base = api_url.rstrip("/")
    try:
        scheme, host, _ = _origin(base)
    except ValueError:  # a malformed host or port
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise UsageError(f"--github-api-url {shown(api_url)}: not an http(s) URL")
    url: str | None = (
        f"{base}/orgs/{urllib.parse.quote(org, safe='')}/repos?per_page={PER_PAGE}&type=all"
    )
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "binance-guard",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    specs: list[RepoSpec] = []
    pages = waits = 0
    read: set[str] = set()  # a Link loop would otherwise be read 10,000 times
    while url is not None:
        pages += 1
        if pages > 10_000:
            raise GitHubError("GitHub API: more than 10000 pages; stopping")
        if url in read:
            raise GitHubError("GitHub API: the next page links back to a page already read")
        if _origin(url) != _origin(base):
            raise _elsewhere("the next page on", url)
        request = urllib.request.Request(url, headers=headers)
        page = _Page()
        try:
            with page.opener().open(request) as reply:
                raw = reply.read(MAX_PAGE_BYTES + 1)
                if len(raw) > MAX_PAGE_BYTES:
                    raise GitHubError("GitHub API: a page larger than 32 MiB; stopping")
                body = json.loads(raw)
                url = _next_link(reply.headers.get("Link"))
        except urllib.error.HTTPError as exc:
            try:
                message = str(json.loads(exc.read(MAX_ERROR_BYTES)).get("message", ""))
            except (ValueError, AttributeError):
                message = ""
            wait = _rate_limit_wait(exc)
            if wait is not None and wait <= MAX_WAIT and waits < 3:
                waits += 1
                pages -= 1
                time.sleep(wait)
                continue  # the same page again
            if wait is not None:
                until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=wait)
                raise GitHubError(
                    f"GitHub API rate limit exceeded until {until:%Y-%m-%d %H:%M:%SZ} "
                    f"({shown(message)}); run again then"
                ) from None
            raise GitHubError(
                f"GitHub API {exc.code} for organisation {shown(org)}: {shown(message)}"
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            # Every socket timeout is what is left of the page's time (Expired is one too).
            if isinstance(exc, TimeoutError) or isinstance(
                getattr(exc, "reason", None), TimeoutError
            ):
                raise GitHubError(
                    f"GitHub API: no complete page within {PAGE_DEADLINE:g} s"
                ) from None
            raise GitHubError(f"GitHub API unreachable: {shown(str(exc))}") from None
        finally:
            page.close()
        if not isinstance(body, list):
            raise GitHubError("GitHub API: expected a list of repositories")
        if len(body) > PER_PAGE:
            raise GitHubError(f"GitHub API: a page of more than {PER_PAGE} repositories")
        read.add(request.full_url)
        for repo in body:
            if not isinstance(repo, dict) or not isinstance(repo.get("clone_url"), str):
                continue
            if (repo.get("fork") and not forks) or (repo.get("archived") and not archived):
                continue
            specs.append(
                RepoSpec(
                    str(repo.get("full_name") or _name_of_url(repo["clone_url"])),
                    repo["clone_url"],
                    fork=bool(repo.get("fork")),
                    archived=bool(repo.get("archived")),
                    auth=bool(token) and _token_goes_to(repo["clone_url"], base),
                )
            )
    return specs

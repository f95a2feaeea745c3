"""A fake GitHub REST API for issue comments, served over real HTTP on 127.0.0.1.

Implements what the sticky PR comment needs:

- ``GET  /repos/{owner}/{repo}/issues/{n}/comments`` with ``per_page`` (max 100)
  and ``page``, and a ``Link`` header with ``rel="next"``/``"last"`` etc.;
- ``POST /repos/{owner}/{repo}/issues/{n}/comments``;
- ``PATCH /repos/{owner}/{repo}/issues/comments/{id}``;
- ``POST /repos/{owner}/{repo}/statuses/{sha}`` (a commit status: ``state``,
  ``context``, ``description`` of at most 140 characters, ``target_url``);
- ``GET  /user``: 403 "Resource not accessible by integration" for the job
  token (``user=None``, which writes as ``github-actions[bot]``), the user for a
  personal token (``user="login"``).

Knobs: ``token`` (the bearer token it accepts), ``user`` (see above),
``refuse_edits`` (every PATCH answers 403, as for a comment the token may not edit),
``read_only`` (writes answer
403 "Resource not accessible by integration", as a fork PR's token does),
``refuse_statuses`` (statuses alone answer that 403, as for a job without
``statuses: write``),
``state.link_origin`` (put another host in ``Link`` URLs),
``fail_with`` (statuses to answer, one per request, before behaving; their
message echoes the request's ``Authorization`` header), ``state.trickle``
(seconds between the bytes of every answer, status line included: a server
that never lets a read time out; it stops when the client hangs up or the
server stops), and
:meth:`FakeGitHub.seed` for pre-existing comments. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeGitHub", "Recorded"]

_LIST_OR_CREATE = re.compile(r"/repos/([^/]+)/([^/]+)/issues/(\d+)/comments")
_UPDATE = re.compile(r"/repos/([^/]+)/([^/]+)/issues/comments/(\d+)")
_STATUS = re.compile(r"/repos/([^/]+)/([^/]+)/statuses/([0-9a-f]{40}|[0-9a-f]{64})")
_STATES = ("error", "failure", "pending", "success")
_NOT_ACCESSIBLE = {"message": "Resource not accessible by integration", "status": "403"}
_ACTIONS_BOT = "github-actions[bot]"


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    headers: dict[str, str]
    body: Any = None


@dataclass
class _State:
    token: str
    user: str | None = None
    """The personal token's login; None for the job token (GET /user is refused)."""
    read_only: bool = False
    refuse_edits: bool = False
    refuse_statuses: bool = False
    link_origin: str | None = None
    """Scheme and host for ``Link`` URLs; None means this server."""
    fail_with: list[int] = field(default_factory=list)
    trickle: float | None = None
    """Seconds between the bytes of an answer; None sends each answer at once."""
    stopping: threading.Event = field(default_factory=threading.Event)
    next_id: int = 1000
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    """id -> {"id", "body", "repo", "issue", "user"}; dicts keep insertion (creation) order."""
    statuses: list[dict[str, Any]] = field(default_factory=list)
    """Every status set: {"repo", "sha", "state", "context", "description", "target_url"}."""
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeGitHub:
    """Start with ``with FakeGitHub() as api:``; ``api.url`` is the ``GITHUB_API_URL``."""

    def __init__(
        self, token: str = "ghs_fake_token", *, read_only: bool = False, user: str | None = None
    ) -> None:
        self.state = _State(token=token, read_only=read_only, user=user)
        state = self.state

        class Handler(_Handler):
            shared = state

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[Recorded]:
        with self.state.lock:
            return list(self.state.requests)

    def comments(self, repo: str, issue: int) -> list[dict[str, Any]]:
        """The comments on ``repo``'s issue ``issue``, oldest first."""
        with self.state.lock:
            return [
                dict(c)
                for c in self.state.comments.values()
                if c["repo"] == repo and c["issue"] == issue
            ]

    def statuses(self, repo: str, sha: str) -> list[dict[str, Any]]:
        """The statuses set on ``repo``'s commit ``sha``, oldest first."""
        with self.state.lock:
            return [dict(s) for s in self.state.statuses if s["repo"] == repo and s["sha"] == sha]

    def seed(self, repo: str, issue: int, bodies: list[str], user: str = "someone") -> list[int]:
        """Add comments as if posted earlier; returns their ids."""
        ids = []
        with self.state.lock:
            for body in bodies:
                ids.append(_add(self.state, repo, issue, body, user))
        return ids

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (one each) before behaving."""
        with self.state.lock:
            self.state.fail_with.extend(statuses)

    def start(self) -> FakeGitHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _add(state: _State, repo: str, issue: int, body: str, user: str) -> int:
    state.next_id += 1
    state.comments[state.next_id] = {
        "id": state.next_id,
        "body": body,
        "repo": repo,
        "issue": issue,
        "user": {"login": user, "type": "Bot" if user.endswith("[bot]") else "User"},
    }
    return state.next_id


def _public(comment: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": comment["id"],
        "body": comment["body"],
        "user": comment["user"],
        "html_url": f"https://github.invalid/{comment['repo']}/issues/{comment['issue']}"
        f"#issuecomment-{comment['id']}",
    }


class _Handler(BaseHTTPRequestHandler):
    shared: _State
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        every = {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": str(len(data)),
            **(headers or {}),
        }
        if self.shared.trickle is not None:
            head = f"HTTP/1.1 {status} {self.responses[status][0]}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in every.items())
            self._trickle(head.encode() + b"\r\n" + data, self.shared.trickle)
            return
        self.send_response(status)
        for name, value in every.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _trickle(self, answer: bytes, gap: float) -> None:
        """Send ``answer`` one byte per ``gap`` seconds, each byte resetting a read timeout."""
        for index in range(len(answer)):
            if self.shared.stopping.wait(gap):
                break
            try:
                self.wfile.write(answer[index : index + 1])
                self.wfile.flush()
            except OSError:  # the client gave up
                break
        self.close_connection = True

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        body = self._body() if method in ("POST", "PATCH") else None
        state = self.shared
        with state.lock:
            state.requests.append(
                Recorded(
                    method=method,
                    path=parts.path,
                    query=query,
                    authorization=self.headers.get("Authorization"),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
            )
            forced = state.fail_with.pop(0) if state.fail_with else None
        if forced is not None:
            # Echo the credentials back, as a careless proxy does.
            auth = self.headers.get("Authorization")
            self._send(forced, {"message": f"Forced failure {forced}, Authorization: {auth}"})
            return
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            self._send(401, {"message": "Bad credentials"})
            return
        if method == "GET" and parts.path == "/user":
            self._user()
        elif method == "GET" and (match := _LIST_OR_CREATE.fullmatch(parts.path)):
            self._list(f"{match[1]}/{match[2]}", int(match[3]), query)
        elif method == "POST" and (match := _LIST_OR_CREATE.fullmatch(parts.path)):
            self._write(body, repo=f"{match[1]}/{match[2]}", issue=int(match[3]))
        elif method == "PATCH" and (match := _UPDATE.fullmatch(parts.path)):
            self._write(body, repo=f"{match[1]}/{match[2]}", comment_id=int(match[3]))
        elif method == "POST" and (match := _STATUS.fullmatch(parts.path)):
            self._status(body, repo=f"{match[1]}/{match[2]}", sha=match[3])
        else:
            self._send(404, {"message": "Not Found"})

    def _user(self) -> None:
        login = self.shared.user
        if login is None:
            self._send(
                403,
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
                    "status": "403",
                },
            )
            return
        self._send(200, {"login": login, "id": 1, "type": "User"})

    def _list(self, repo: str, issue: int, query: dict[str, list[str]]) -> None:
        try:
            per_page = min(max(int(query.get("per_page", ["30"])[0]), 1), 100)
            page = max(int(query.get("page", ["1"])[0]), 1)
        except ValueError:
            self._send(422, {"message": "Validation Failed"})
            return
        with self.shared.lock:
            items = [
                _public(c)
                for c in self.shared.comments.values()
                if c["repo"] == repo and c["issue"] == issue
            ]
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        origin = self.shared.link_origin or f"http://{self.headers.get('Host', '127.0.0.1')}"
        base = f"{origin}/repos/{repo}/issues/{issue}/comments"
        links = []
        if page < last:
            links.append(f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{base}?per_page={per_page}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}?per_page={per_page}&page=1>; rel="first"')
            links.append(f'<{base}?per_page={per_page}&page={page - 1}>; rel="prev"')
        self._send(200, chunk, {"Link": ", ".join(links)} if links else None)

    def _write(
        self, body: Any, *, repo: str, issue: int | None = None, comment_id: int | None = None
    ) -> None:
        state = self.shared
        if state.read_only:
            self._send(
                403,
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": "https://docs.github.com/rest/issues/comments",
                    "status": "403",
                },
            )
            return
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            self._send(422, {"message": 'Invalid request.\n\n"body" wasn\'t supplied.'})
            return
        if len(body["body"]) > 65_536:
            self._send(422, {"message": "Validation Failed: body is too long (maximum is 65536)"})
            return
        author = state.user or _ACTIONS_BOT
        with state.lock:
            if issue is not None:
                new_id = _add(state, repo, issue, body["body"], author)
                created = _public(state.comments[new_id])
            else:
                existing = state.comments.get(comment_id or -1)
                if existing is None or existing["repo"] != repo:
                    created = None
                elif state.refuse_edits:
                    refused = {"message": "Must have admin rights to Repository.", "status": "403"}
                    self._send(403, refused)
                    return
                else:
                    existing["body"] = body["body"]
                    created = _public(existing)
        if created is None:
            self._send(404, {"message": "Not Found"})
        else:
            self._send(201 if issue is not None else 200, created)

    def _status(self, body: Any, *, repo: str, sha: str) -> None:
        state = self.shared
        if state.read_only or state.refuse_statuses:
            self._send(403, _NOT_ACCESSIBLE)
            return
        if not isinstance(body, dict) or body.get("state") not in _STATES:
            self._send(422, {"message": "Validation Failed: state is not included in the list"})
            return
        description = body.get("description")
        if isinstance(description, str) and len(description) > 140:
            self._send(422, {"message": "Validation Failed: description is too long"})
            return
        status = {
            "repo": repo,
            "sha": sha,
            "state": body["state"],
            "context": body.get("context") or "default",
            "description": description,
            "target_url": body.get("target_url"),
        }
        with state.lock:
            state.statuses.append(status)
        self._send(201, {"id": len(state.statuses), **status})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

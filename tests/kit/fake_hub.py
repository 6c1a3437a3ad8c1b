"""A stand-in Hugging Face hub on loopback: the file endpoints ``huggingface_hub`` downloads by.

``HEAD`` and ``GET /{owner}/{repo}/resolve/{revision}/{file}`` answer as the hub does for an
LFS file: ``X-Repo-Commit``, an ``ETag``, and the content's sha256 and size in
``X-Linked-Etag`` / ``X-Linked-Size`` (what ``get_hf_file_metadata`` reads); ``GET`` honours
``Range: bytes=N-`` with a 206. Errors carry the hub's ``X-Error-Code``. Faults are switches: a
GET cut after some bytes, a wrong declared checksum. Every file request is recorded; anything
else (huggingface_hub also asks ``/api/...`` for its own reasons) gets a plain 404.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Seen:
    method: str
    path: str
    range: str | None
    authorization: str | None


@dataclass
class FakeHub:
    files: dict[str, bytes]
    """``"owner/repo/file"`` → content."""
    drop_after: int | None = None
    """Cut each GET's body after this many bytes (every resumed GET gets that much more)."""
    refuse_ranges: bool = False
    """Answer a resumed GET (one with a Range) with 503, as an overloaded hub would."""
    wrong_sha256: bool = False
    """Declare a checksum the content does not have."""
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sha256 = {key: hashlib.sha256(data).hexdigest() for key, data in self.files.items()}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def sha256(self, key: str) -> str:
        return self._sha256[key]

    def gets(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "GET"]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def run_command(
    *args: str, hub: FakeHub, hf_home: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """``charlie-inference ARGS`` in its own process, pointed at ``hub``, with no user token:
    huggingface_hub reads ``HF_*`` at import, so each run gets its environment fresh."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    base |= {"HF_ENDPOINT": hub.url, "HF_HOME": str(hf_home)}
    return subprocess.run(
        [sys.executable, "-m", "charlie_inference", *args],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, *, body: bool) -> None:
            parts = self.path.lstrip("/").split("/")
            if len(parts) < 5 or parts[2] != "resolve":
                return self._error(404, "")
            hub.seen.append(
                Seen(
                    self.command,
                    self.path,
                    self.headers.get("Range"),
                    self.headers.get("Authorization"),
                )
            )
            owner, repo, _resolve, _revision, *rest = parts
            key = f"{owner}/{repo}/{'/'.join(rest)}"
            if not any(k.startswith(f"{owner}/{repo}/") for k in hub.files):
                return self._error(404, "RepoNotFound")
            if key not in hub.files:
                return self._error(404, "EntryNotFound")
            data = hub.files[key]
            sha = hub.sha256(key)
            if hub.wrong_sha256:
                sha = hashlib.sha256(sha.encode()).hexdigest()
            start = _range_start(self.headers.get("Range"))
            if start and hub.refuse_ranges:
                return self._error(503, "")
            self.send_response(206 if start else 200)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", f'"{sha}"')
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            if not body:
                return
            end = len(data) if hub.drop_after is None else min(len(data), start + hub.drop_after)
            self.wfile.write(data[start:end])
            if end < len(data):
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True

        def _error(self, status: int, code: str) -> None:
            self.send_response(status)
            if code:
                self.send_header("X-Error-Code", code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def _range_start(header: str | None) -> int:
    if not header:
        return 0
    return int(header.removeprefix("bytes=").split("-", 1)[0])

"""A stand-in OpenAI-compatible model server on loopback, that a test can stop and start again.

It speaks the documented protocol the worker uses with ``CHARLIE_LLM_API_BASE`` (llama.cpp's
dialect): ``POST /v1/chat/completions`` with ``messages``, answered with ``choices[0].message``
and ``usage``. The answer comes from a ``kit.fake_lm`` script of the last user message, so a
worker reads on it as on the scripted model, without loading one. Unlike a fixture's server it
keeps its port across ``stop()`` and ``start()``: the worker's setting stays right while the
server is down.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kit.fake_lm import Script


class StandInModelServer:
    """``base`` is the URL for ``CHARLIE_LLM_API_BASE``; ``requests`` counts what it answered."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests = 0
        with socket.socket() as probe:  # a free port, kept for every start
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}/v1"
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = server.script(body["messages"][-1]["content"])
                server.requests += 1
                reply = json.dumps(
                    {
                        "choices": [
                            {
                                "message": {"role": "assistant", "content": answer},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Down: the port refuses connections until ``start()``."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = self._thread = None

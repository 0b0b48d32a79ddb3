"""A local stand-in for the providers' HTTP APIs: a tiny http.server in a thread on 127.0.0.1.

Routes map (method, path) to a function of the recorded request returning (status, body, content
type); every request is recorded so tests can read what was sent to Telegram, WhatsApp or Twilio.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body or b"{}")

    def form(self) -> dict:
        return {k: v[0] for k, v in urllib.parse.parse_qs(self.body.decode()).items()}


@dataclass
class ProviderStub:
    routes: dict = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def start(self) -> ProviderStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _serve(self):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(
                    method=self.command,
                    path=parsed.path,
                    query={k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()},
                    headers=dict(self.headers),
                    body=self.rfile.read(length) if length else b"",
                )
                stub.requests.append(recorded)
                route = stub.routes.get((self.command, parsed.path))
                if route is None:
                    status, body, content_type = 404, b'{"error": "no route"}', "application/json"
                else:
                    status, body, content_type = route(recorded)
                if isinstance(body, dict | list):
                    body = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _serve
            do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def route(
        self, method: str, path: str, handler=None, *, status: int = 200, body=None, content_type="application/json"
    ):
        self.routes[(method, path)] = handler or (
            lambda _request: (status, body if body is not None else {}, content_type)
        )

    def sent(self, path_suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(path_suffix)]

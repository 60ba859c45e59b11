"""A tiny HTTP/1.1 server on 127.0.0.1 that answers what a test says: what a proxy, a captive portal or
a service gone wrong might send, which no fieldapp service would."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Listener:
    """A tiny HTTP/1.1 server on 127.0.0.1 that records every connection and request it gets."""

    url: str
    connections: list[str] = field(default_factory=list)  # one entry per TCP connection accepted
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)  # (method, path, body)


@contextmanager
def listening(answer: Handler) -> Iterator[Listener]:
    record = Listener("")

    class Handle(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real service

        def setup(self) -> None:
            super().setup()
            record.connections.append(str(self.client_address))

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            record.requests.append((self.command, self.path, body))
            try:
                answer(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up on purpose

        do_GET = do_POST = do_PUT = _any

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handle)
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


def send_answer(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    """An answer of the test's choosing (JSON unless a Content_Type says otherwise)."""
    handler.send_response(status)
    for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)

"""A local webhook receiver for the alert tests: an HTTP server in a thread that keeps what it was sent."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The part of a webhook URL that is its secret, as in Slack's https://hooks.slack.com/services/T0/B0/<secret>.
HIDDEN = "hidden-part-of-the-url"


@dataclass
class Receiver:
    """Where the receiver listens (``url``, with the secret in its path), what it answers, what it got."""

    url: str
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def receiving(status: int = 200) -> Iterator[Receiver]:
    """A receiver on a free local port, answering ``status`` to every POST, for the block's duration."""
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            kind = self.headers.get("Content-Type")
            receiver.received.append({"path": self.path, "type": kind, "body": body})
            self.send_response(receiver.status)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # no request lines in the test's output

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/{HIDDEN}"
    receiver.status = status
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()

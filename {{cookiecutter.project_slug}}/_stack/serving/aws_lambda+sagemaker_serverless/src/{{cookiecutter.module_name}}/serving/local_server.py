"""What `make serve-local` needs on both serverless targets: a standard-library HTTP server on localhost
answering in JSON, and its command line. Each target's ``serve_local`` adds its own request handling.

Whatever a client sends gets a JSON answer, never http.server's HTML page or a traceback: any method (one
with no route gets the scoring API's 405), a request line or headers too large (414, 431), a body declared by
its length or sent chunked, within the scoring API's limit (413 beyond it). The content type is not looked at:
the body is read as JSON whatever it is declared to be, as on every serving target, so ``curl -d`` (which
declares a form) works. A client that goes away before its answer is written is its own business: the server
logs the request and carries on, quietly.
"""

import argparse
import json
import re
import socket
import sys
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..log.predictions import log_writer
from ..settings import Settings
from .api import MAX_BODY_BYTES, Model, RequestError, check_size, declared_size
from .recording import Recorder
from .scoring import Scorer

JSON = {"content-type": "application/json"}
# An answer: status, headers and body text.
Answer = tuple[int, dict[str, str], str]
# http.server's own refusals, before a request reaches ``respond``, in words that say what to change.
REFUSALS: dict[int, str] = {
    HTTPStatus.REQUEST_URI_TOO_LONG: "the request line is too long: send a shorter path",
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: "the headers are too large: send fewer or shorter ones",
}
# A chunk's size line: hexadecimal digits, then optional extensions after ";".
CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(;[^\r\n]*)?\r?\n")


class Request(BaseHTTPRequestHandler):
    """One request to the local server, as ``respond`` sees it."""

    def read_body(self) -> bytes:
        """The body, declared by its length or chunked; refused once it is known to be over the limit."""
        encoding = self.headers.get("transfer-encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise RequestError(400, f"transfer-encoding {encoding!r} is not supported: send it as is")
            return self._read_chunks()
        length = declared_size(self.headers.get("content-length"))
        check_size(length)  # refuse before reading a body that would be refused anyway
        return self._read_exactly(length)

    def _read_chunks(self) -> bytes:
        """Chunks, each after its size, until one of size 0; then trailer lines, read and not used."""
        body = bytearray()
        while size := self._chunk_size():
            check_size(len(body) + size)
            body += self._read_exactly(size)
            if self.rfile.readline(3).strip(b"\r\n"):
                raise RequestError(400, "the chunked body is malformed: a chunk is longer than its size says")
        trailers = 0
        while (line := self.rfile.readline(MAX_BODY_BYTES + 1)).strip(b"\r\n"):
            trailers += len(line)
            check_size(len(body) + trailers)
        if not line:
            raise RequestError(400, "the chunked body ended before its last chunk")
        return bytes(body)

    def _chunk_size(self) -> int:
        line = self.rfile.readline(1024)
        match = CHUNK_SIZE.fullmatch(line)
        if match is None:
            raise RequestError(400, "the chunked body is malformed: a chunk must start with its size in hex")
        return int(match[1], 16)

    def _read_exactly(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) < size:
            raise RequestError(400, f"the request body ended after {len(data):,} of {size:,} bytes")
        return data

    def send_answer(self, status: int, headers: Mapping[str, str], text: str) -> None:
        """Write an answer; an answer to HEAD has the same status and headers, and no body (HTTP's rule)."""
        payload = text.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, headers too large...) in JSON, not HTML."""
        error = REFUSALS.get(code) or message or HTTPStatus(code).phrase
        self.log_error("code %d, message %s", code, error)
        self.close_connection = True
        self.send_answer(code, JSON | {"connection": "close"}, json.dumps({"error": error}))


class QuietServer(ThreadingHTTPServer):
    """Prints no traceback for a client that closed its connection early (a broken pipe, a reset)."""

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def json_server(respond: Callable[[Request], Answer], host: str, port: int) -> ThreadingHTTPServer:
    """A server answering each request with ``respond``, or with the JSON error of a refused request."""

    class Handler(Request):
        def answer(self) -> None:
            try:
                status, headers, text = respond(self)
            except RequestError as problem:
                status, headers, text = problem.status, JSON, json.dumps(problem.payload)
            self.send_answer(status, headers, text)

        def __getattr__(self, name: str) -> Callable[[], None]:
            """Every method a client may send, known or not, gets ``answer`` (a 405 naming the right one, when
            its route takes another), not http.server's HTML 501 page: it looks up ``do_<METHOD>``."""
            if name.startswith("do_"):
                return self.answer
            raise AttributeError(name)

    return QuietServer((host, port), Handler)


def serve(
    argv: list[str] | None,
    description: str,
    routes: str,
    make_server: Callable[[Model, str, int, Recorder | None], ThreadingHTTPServer],
) -> None:
    """Parse the command line, load the model and serve it until Ctrl-C, recording its predictions in the
    local event log (the deployed service records them where ``PREDICTIONS_URI`` says)."""
    settings = Settings()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", type=Path, default=settings.accepted_model_path)
    parser.add_argument("--no-record", action="store_true", help="do not record predictions in the log")
    args = parser.parse_args(argv)
    if not args.model.exists():
        parser.error(f"no model at {args.model}: run `make run` first")
    recorder = None if args.no_record else Recorder(log_writer(settings))
    server = make_server(Scorer.load(args.model), "127.0.0.1", args.port, recorder)
    recorded = "" if recorder is None else f", recording predictions in {settings.log_dir}"
    print(f"serving {args.model} on http://127.0.0.1:{args.port} ({routes}{recorded}); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if recorder is not None:
            recorder.close()

"""What `make serve-local` needs on both serverless targets: a standard-library HTTP server on localhost
answering in JSON, and its command line. Each target's ``serve_local`` adds its own request handling."""

import argparse
import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .contract import Model, RequestError, check_size, declared_size
from .scoring import Scorer
from .settings import Settings

JSON = {"content-type": "application/json"}
# An answer: status, headers and body text.
Answer = tuple[int, dict[str, str], str]


class Request(BaseHTTPRequestHandler):
    """One request to the local server, as ``respond`` sees it."""

    def read_body(self) -> bytes:
        length = declared_size(self.headers.get("content-length"))
        check_size(length)  # refuse before reading a body that would be refused anyway
        return self.rfile.read(length)


def json_server(respond: Callable[[Request], Answer], host: str, port: int) -> ThreadingHTTPServer:
    """A server answering each request with ``respond``, or with the JSON error of a refused request."""

    class Handler(Request):
        def _answer(self) -> None:
            try:
                status, headers, text = respond(self)
            except RequestError as problem:
                status, headers, text = problem.status, JSON, json.dumps(problem.payload)
            payload = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        # Every method a client may send gets the contract's JSON answer (a 405 naming the right one), not
        # http.server's HTML 501 page. (The names are http.server's.)
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer  # noqa: N815

    return ThreadingHTTPServer((host, port), Handler)


def serve(
    argv: list[str] | None,
    description: str,
    routes: str,
    make_server: Callable[[Model, str, int], ThreadingHTTPServer],
) -> None:
    """Parse the command line, load the model and serve it until Ctrl-C."""
    settings = Settings()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", type=Path, default=settings.artifacts_dir / "model" / "model.json")
    args = parser.parse_args(argv)
    if not args.model.exists():
        parser.error(f"no model at {args.model}: run `make run` first")
    server = make_server(Scorer.load(args.model), "127.0.0.1", args.port)
    print(f"serving {args.model} on http://127.0.0.1:{args.port} ({routes}); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

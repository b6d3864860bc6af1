"""Serve the Lambda handler over HTTP on localhost, for trying the model by hand without Docker or AWS.

Each HTTP request becomes the API Gateway HTTP API event Lambda would receive, so what works here works there:

    make serve-local
    curl -s localhost:8000/predict -d '{"sessions": [{"n_pageviews": 3, ...}]}'
"""

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .contract import Model, RequestError, check_size, declared_size
from .scoring import Scorer
from .serving.handler import handle, json_response
from .settings import Settings


def to_event(method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The HTTP API (payload format 2.0) event for one request."""
    raw_path, _, query = path.partition("?")
    return {
        "version": "2.0",
        "routeKey": f"{method} {raw_path}",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {name.lower(): value for name, value in headers.items()},
        "requestContext": {"http": {"method": method, "path": raw_path, "sourceIp": "127.0.0.1"}},
        "body": body.decode("utf-8", errors="replace"),
        "isBase64Encoded": False,
    }


def make_server(scorer: Model, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            try:
                length = declared_size(self.headers.get("content-length"))
                check_size(length)  # refuse before reading a body that would be refused anyway
                event = to_event(self.command, self.path, dict(self.headers), self.rfile.read(length))
                response = handle(event, scorer)
            except RequestError as problem:
                response = json_response(problem.status, problem.payload)
            payload = response["body"].encode()
            self.send_response(response["statusCode"])
            for name, value in response["headers"].items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        # Every method a client may send gets the contract's JSON answer (a 405 naming the right one), not
        # http.server's HTML 501 page. (The names are http.server's.)
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer  # noqa: N815

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description="Serve the model's Lambda handler on localhost.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", type=Path, default=settings.artifacts_dir / "model" / "model.json")
    args = parser.parse_args(argv)
    if not args.model.exists():
        parser.error(f"no model at {args.model}: run `make run` first")
    server = make_server(Scorer.load(args.model), "127.0.0.1", args.port)
    print(f"serving {args.model} on http://127.0.0.1:{args.port} (POST /predict, GET /health); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

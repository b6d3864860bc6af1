"""Serve the inference functions on localhost the way SageMaker's container does, without Docker or AWS.

The container's routes, with the same functions behind them, so what works here works on the endpoint:

    make serve-local
    curl -s localhost:8000/invocations -H 'content-type: application/json' -d '{"sessions": [{...}]}'
    curl -s localhost:8000/ping
"""

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .contract import Model, RequestError, check_route, check_size, declared_size, health
from .scoring import Scorer
from .serving.inference import invoke
from .settings import Settings

# The container's routes, which SageMaker calls.
ROUTES = {"/invocations": "POST", "/ping": "GET"}


def make_server(scorer: Model, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            path = self.path.partition("?")[0]
            try:
                check_route(self.command, path, ROUTES)
                if path.rstrip("/") == "/ping":
                    status, text = 200, json.dumps(health(scorer))
                else:
                    status, text = invoke(scorer, self._body())
            except RequestError as problem:
                status, text = problem.status, json.dumps(problem.payload)
            self._send(status, text)

        def _body(self) -> bytes:
            length = declared_size(self.headers.get("content-length"))
            check_size(length)  # refuse before reading a body that would be refused anyway
            return self.rfile.read(length)

        def _send(self, status: int, text: str) -> None:
            payload = text.encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        # Every method a client may send gets the contract's JSON answer (a 405 naming the right one), not
        # http.server's HTML 501 page. (The names are http.server's.)
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer  # noqa: N815

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description="Serve the SageMaker inference functions on localhost.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", type=Path, default=settings.artifacts_dir / "model" / "model.json")
    args = parser.parse_args(argv)
    if not args.model.exists():
        parser.error(f"no model at {args.model}: run `make run` first")
    server = make_server(Scorer.load(args.model), "127.0.0.1", args.port)
    print(f"serving {args.model} at http://127.0.0.1:{args.port}/invocations and /ping; Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

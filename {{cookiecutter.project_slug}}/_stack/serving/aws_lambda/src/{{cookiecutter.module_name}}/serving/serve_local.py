"""Serve the Lambda handler over HTTP on localhost, for trying the model by hand without Docker or AWS.

Each HTTP request becomes the API Gateway HTTP API event Lambda would receive, so what works here works there:

    make serve-local
    curl -s localhost:8000/predict -d '{"sessions": [{"session_id": "s1", "n_pageviews": 3, ...}]}'
"""

from http.server import ThreadingHTTPServer
from typing import Any

from .api import Model
from .handler import handle
from .local_server import Answer, Request, json_server, serve
from .recording import Recorder


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


def make_server(scorer: Model, host: str, port: int, recorder: Recorder | None = None) -> ThreadingHTTPServer:
    def respond(request: Request) -> Answer:
        event = to_event(request.command, request.path, dict(request.headers), request.read_body())
        response = handle(event, scorer, recorder)
        return response["statusCode"], response["headers"], response["body"]

    return json_server(respond, host, port)


def main(argv: list[str] | None = None) -> None:
    serve(argv, "Serve the model's Lambda handler on localhost.", "POST /predict, GET /health", make_server)


if __name__ == "__main__":
    main()

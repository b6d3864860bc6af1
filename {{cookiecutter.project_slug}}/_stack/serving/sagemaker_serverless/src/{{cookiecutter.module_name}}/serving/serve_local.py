"""Serve the inference functions on localhost the way SageMaker's container does, without Docker or AWS.

The container's routes, with the same functions behind them, so what works here works on the endpoint:

    make serve-local
    curl -s localhost:8000/invocations -H 'content-type: application/json' -d '{"sessions": [{...}]}'
    curl -s localhost:8000/ping
"""

import json
from http.server import ThreadingHTTPServer

from .api import Model, check_route, health
from .inference import invoke
from .local_server import JSON, Answer, Request, json_server, serve
from .recording import Recorder

# The container's routes, which SageMaker calls.
ROUTES = {"/invocations": "POST", "/ping": "GET"}


def make_server(scorer: Model, host: str, port: int, recorder: Recorder | None = None) -> ThreadingHTTPServer:
    def respond(request: Request) -> Answer:
        path = request.path.partition("?")[0]
        check_route(request.command, path, ROUTES)
        if path.rstrip("/") == "/ping":
            return 200, JSON, json.dumps(health(scorer))
        status, text = invoke(scorer, request.read_body(), recorder)
        return status, JSON, text

    return json_server(respond, host, port)


def main(argv: list[str] | None = None) -> None:
    description = "Serve the SageMaker inference functions on localhost."
    serve(argv, description, "POST /invocations, GET /ping", make_server)


if __name__ == "__main__":
    main()

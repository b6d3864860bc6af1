"""Serve the deployed app on localhost with uvicorn, without Docker or a cloud account.

The same app, routes and answers as the deployed service, so what works here works there:

    make serve-local
    curl -s localhost:8000/predict -d '{"sessions": [{"session_id": "s1", "n_pageviews": 3, ...}]}'

Whatever a client sends gets a JSON answer: the app answers every request it sees, whatever its method or
content type (the body is read as JSON whatever it is declared to be, so ``curl -d``, which declares a form,
works), and what uvicorn refuses before the app sees it (a request line or headers too large, a request that
is not HTTP) gets the same JSON error rather than uvicorn's plain text.
"""

import argparse
import json
import sys
from http import HTTPStatus
from pathlib import Path

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..log.predictions import log_writer
from ..settings import Settings
from .api import Model
from .app import create_app
from .recording import Recorder
from .scoring import Scorer

# Bytes handed to h11 at a time. h11 measures a request's head (request line and headers) only while it waits
# for the rest, against uvicorn's limit (16 KiB): a larger head arriving in one read would be taken whole.
FEED_BYTES = 8_192


class JSONErrorsProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, refusing a head over the limit, or a request it cannot parse, in the
    scoring API's JSON."""

    def data_received(self, data: bytes) -> None:
        for start in range(0, len(data), FEED_BYTES):
            if self.transport.is_closing():
                return
            super().data_received(data[start : start + FEED_BYTES])

    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this while handling h11's error on a request it cannot take: answer it in JSON."""
        status, error = self.refusal(sys.exc_info()[1] or msg)
        payload = json.dumps({"error": error}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
        ]
        start = h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase)
        for event in (start, h11.Data(data=payload), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def refusal(self, problem: BaseException | str) -> tuple[int, str]:
        """The status and words for h11's ``problem``: its hint 431 is a head over the limit, which is the
        request line's fault (414) while no line of it has ended."""
        if isinstance(problem, h11.RemoteProtocolError) and problem.error_status_hint == 431:
            received, _ = self.conn.trailing_data
            if b"\n" not in received:
                return 414, "the request line is too long: send a shorter path"
            return 431, "the headers are too large: send fewer or shorter ones"
        return 400, f"the request is not valid HTTP/1.1: {problem}"


def make_server(model: Model, host: str, port: int, recorder: Recorder | None = None) -> uvicorn.Server:
    app = create_app(model, recorder)
    config = uvicorn.Config(app, host=host, port=port, server_header=False, http=JSONErrorsProtocol)
    return uvicorn.Server(config)


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description="Serve the model's app on localhost.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", type=Path, default=settings.accepted_model_path)
    parser.add_argument("--no-record", action="store_true", help="do not record predictions in the log")
    args = parser.parse_args(argv)
    if not args.model.exists():
        parser.error(f"no model at {args.model}: run `make run` first")
    # Predictions go to the local event log (the deployed service records them where PREDICTIONS_URI says).
    recorder = None if args.no_record else Recorder(log_writer(settings))
    recorded = "" if recorder is None else f", recording predictions in {settings.log_dir}"
    routes = "POST /predict, GET /health"
    print(f"serving {args.model} on http://127.0.0.1:{args.port} ({routes}{recorded}); Ctrl-C stops")
    try:
        make_server(Scorer.load(args.model), "127.0.0.1", args.port, recorder).run()
    finally:
        if recorder is not None:
            recorder.close()


if __name__ == "__main__":
    main()

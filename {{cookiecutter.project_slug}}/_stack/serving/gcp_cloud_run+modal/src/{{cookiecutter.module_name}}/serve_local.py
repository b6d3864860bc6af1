"""Serve the deployed app on localhost with uvicorn, without Docker or a cloud account.

The same app, routes and answers as the deployed service, so what works here works there:

    make serve-local
    curl -s localhost:8000/predict -d '{"sessions": [{"n_pageviews": 3, ...}]}'
"""

import argparse
from pathlib import Path

import uvicorn

from .contract import Model
from .scoring import Scorer
from .serving.app import create_app
from .settings import Settings


def make_server(model: Model, host: str, port: int) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(create_app(model), host=host, port=port, server_header=False))


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description="Serve the model's app on localhost.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", type=Path, default=settings.artifacts_dir / "model" / "model.json")
    args = parser.parse_args(argv)
    if not args.model.exists():
        parser.error(f"no model at {args.model}: run `make run` first")
    print(f"serving {args.model} on http://127.0.0.1:{args.port} (POST /predict, GET /health); Ctrl-C stops")
    make_server(Scorer.load(args.model), "127.0.0.1", args.port).run()


if __name__ == "__main__":
    main()

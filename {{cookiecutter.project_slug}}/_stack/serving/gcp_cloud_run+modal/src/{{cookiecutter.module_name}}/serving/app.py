"""The scoring API as a FastAPI app, as {% if cookiecutter.serving == "modal" %}Modal's web function{% else %}the Cloud Run image{% endif %} serves it.

Bodies are read raw and handed to the scoring API every serving target shares (``api.py``), not to FastAPI's
validation: a bad request gets the same 4xx and JSON error here as anywhere else (a malformed body is a 400
naming the problem, not FastAPI's generic 422), and so do unknown routes and wrong methods. A client never
sees a 500 or a traceback for something it sent.

    POST /predict  {"sessions": [{"session_id": "s1", "n_pageviews": 3, ...}, ...]}
      -> 200 {"model_version": "...", "predictions": [{"session_id": "s1", "purchase_probability": 0.42}]}
    GET /health    -> 200 {"status": "ok", "model_version": "..."}

The app takes a loaded model: where the model comes from, and when it is loaded, is the deployment's business
(``{{ "modal_app.py" if cookiecutter.serving == "modal" else "cloud_run.py" }}``), so this module reads no file and the tests need none.
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from .api import Model, Payload, RequestError, check_route, health, read_body, respond
from .recording import Recorder


def create_app(model: Model, recorder: Recorder | None = None) -> FastAPI:
    """The app serving ``model``; ``recorder``, when given, records each prediction (``recording.py``)."""
    # No interactive docs or OpenAPI schema: the contract is documented above, and a smaller surface is safer.
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
        try:
            body = await read_body(request.stream(), request.headers.get("content-length"))
        except RequestError as problem:
            return JSONResponse(problem.payload, status_code=problem.status)
        except ClientDisconnect:
            # No one is left to read it, but an answer ends the request quietly; the exception would be logged
            # with a traceback, as if the app had failed.
            return JSONResponse({"error": "the client left before sending the whole body"}, status_code=400)
        status, payload = respond(body, model, recorder)
        return JSONResponse(payload, status_code=status)

    @app.get("/health")
    async def health_check() -> Payload:
        return health(model)

    @app.exception_handler(HTTPException)
    async def routing_error(request: Request, error: HTTPException) -> JSONResponse:
        """Unknown routes and wrong methods, answered with the scoring API's words and JSON shape."""
        try:
            check_route(request.method, request.url.path)
        except RequestError as problem:
            return JSONResponse(problem.payload, status_code=problem.status, headers=error.headers)
        detail = {"error": str(error.detail)}
        return JSONResponse(detail, status_code=error.status_code, headers=error.headers)

    return app

"""Alerts, against a local webhook receiver: the payload chat tools and people's own receivers read, a URL
that is never shown, and an alert that cannot be delivered is one clear error, never silence."""

import socket
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.monitoring.alerts import PROJECT, Alert, AlertError, send
from {{ cookiecutter.module_name }}.settings import Settings

from ..webhook import HIDDEN, Receiver, receiving

STOPPED = "retraining stopped at quality gate: sessions per split failed"
ALERT = Alert("quality gate", STOPPED, "artifacts/runs/x", "x")


def with_webhook(tmp_path: Path, url: str) -> Settings:
    return Settings(workspace=tmp_path, alert_webhook_url=url)


def test_the_alert_is_one_json_post_with_a_text_and_the_structured_fields(
    tmp_path: Path, webhook: Receiver
) -> None:
    said = send(ALERT, with_webhook(tmp_path, webhook.url))

    [received] = webhook.received
    assert received["type"] == "application/json"
    assert received["path"] == f"/hooks/{HIDDEN}"
    assert received["body"] == {
        "text": f"{PROJECT}: {ALERT.text} (report: artifacts/runs/x)",
        "project": PROJECT,
        "failed": "quality gate",
        "report": "artifacts/runs/x",
        "run_id": "x",
    }
    assert said == "alert sent to 127.0.0.1 (HTTP 200)"


def test_the_webhook_url_is_never_shown_only_its_host(tmp_path: Path, webhook: Receiver) -> None:
    settings = with_webhook(tmp_path, webhook.url)

    said = send(ALERT, settings)

    assert HIDDEN not in said + repr(settings) + str(settings)


def test_an_alert_the_webhook_refuses_is_one_line_naming_the_host_and_the_status(tmp_path: Path) -> None:
    with receiving(status=404) as gone, pytest.raises(AlertError) as refused:
        send(ALERT, with_webhook(tmp_path, gone.url))

    message = str(refused.value)
    assert message == (
        "the alert could not be delivered: 127.0.0.1 answered HTTP 404 Not Found; check alert_webhook_url "
        "(the webhook may have been revoked)"
    )
    assert HIDDEN not in message


def test_an_unreachable_webhook_is_a_one_line_error_naming_the_host(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on once the socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

    with pytest.raises(AlertError) as unreachable:
        send(ALERT, with_webhook(tmp_path, f"http://127.0.0.1:{port}/hooks/{HIDDEN}"))

    message = str(unreachable.value)
    assert message.startswith("the alert could not be delivered to 127.0.0.1: ")
    assert "\n" not in message and HIDDEN not in message


def test_a_webhook_url_that_is_not_http_is_refused_before_sending(tmp_path: Path) -> None:
    with pytest.raises(AlertError, match=r"must start with https:// \(or http://\), not file:"):
        send(ALERT, with_webhook(tmp_path, f"file:///etc/{HIDDEN}"))


def test_without_a_webhook_alerting_is_off_and_says_so(tmp_path: Path) -> None:
    said = send(ALERT, Settings(workspace=tmp_path))

    assert said.startswith("alerting is off (the alert_webhook_url setting is empty): no alert was sent")
    assert said.endswith("_ALERT_WEBHOOK_URL to receive one")

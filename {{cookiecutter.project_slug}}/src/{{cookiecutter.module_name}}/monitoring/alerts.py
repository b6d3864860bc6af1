"""Alerts: one JSON POST to the webhook in the ``alert_webhook_url`` setting, when a scheduled retraining
calls for one (``retraining.py`` decides when).

The body works as it is with Slack's and Mattermost's incoming webhooks and Microsoft Teams' workflow
webhooks, which show its ``text``; a receiver of your own reads the structured fields beside it: ``project``,
``failed`` (what failed: monitoring, the quality gate, the model gate...), ``report`` (where to look) and
``run_id``.

An empty setting turns alerting off, and the caller says so. An alert that cannot be delivered raises
``AlertError``, one line naming the webhook's host and why, never the URL itself: webhook URLs carry their
secret in the path or the query.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import StageError
from ..settings import Settings

PROJECT = "{{ cookiecutter.project_slug }}"
# How long to wait for the webhook: a scheduler's job must end, alert or not.
TIMEOUT_SECONDS = 10.0


class AlertError(StageError):
    """The alert could not be delivered."""


@dataclass(frozen=True)
class Alert:
    """What went wrong, for people (``text``) and for machines (the other fields)."""

    failed: str
    text: str
    report: str = ""
    run_id: str | None = None

    def payload(self) -> dict[str, str | None]:
        where = f" (report: {self.report})" if self.report else ""
        return {
            "text": f"{PROJECT}: {self.text}{where}",
            "project": PROJECT,
            "failed": self.failed,
            "report": self.report,
            "run_id": self.run_id,
        }


def host(url: str) -> str:
    """What may be shown of a webhook URL: its host."""
    return urlsplit(url).hostname or "an unnamed host"


def send(alert: Alert, settings: Settings) -> str:
    """POST ``alert`` to the webhook; returns what to tell the person reading the log. Raises AlertError."""
    url = settings.alert_webhook_url.get_secret_value().strip()
    if not url:
        return (
            "alerting is off (the alert_webhook_url setting is empty): no alert was sent; set "
            "{{ cookiecutter.module_name | upper }}_ALERT_WEBHOOK_URL to receive one"
        )
    if urlsplit(url).scheme not in ("http", "https"):
        raise AlertError(
            f"the alert was not sent: alert_webhook_url must start with https:// (or http://), not "
            f"{urlsplit(url).scheme or 'nothing'}:"
        )
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked just above)
        url,
        data=json.dumps(alert.payload()).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        raise AlertError(
            f"the alert could not be delivered: {host(url)} answered HTTP {error.code} {error.reason}; "
            "check alert_webhook_url (the webhook may have been revoked)"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise AlertError(
            f"the alert could not be delivered to {host(url)}: {reason}; check alert_webhook_url and "
            "that this machine reaches it"
        ) from None
    return f"alert sent to {host(url)} (HTTP {status})"

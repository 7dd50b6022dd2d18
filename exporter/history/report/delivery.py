"""Delivery of a built report: e-mail through SMTP (STARTTLS, password from a file or
``EXECMETRICS_SMTP_PASSWORD``) and a Slack-compatible webhook. Each failure is one
``ServiceError`` line; the scheduler logs, counts and retries it."""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import niquests

from exporter.config import SmtpConfig, WebhookConfig
from exporter.errors import ConfigError, ServiceError

SMTP_PASSWORD_ENV = "EXECMETRICS_SMTP_PASSWORD"


def smtp_password(cfg: SmtpConfig, environ: dict[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    if env.get(SMTP_PASSWORD_ENV):
        return env[SMTP_PASSWORD_ENV]
    if cfg.password_file is None:
        return None
    try:
        return cfg.password_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"reports.smtp.password_file: cannot read {cfg.password_file}: {exc.strerror}"
        ) from None


def message(
    cfg: SmtpConfig, subject: str, text: str, attachments: list[tuple[str, bytes]]
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(cfg.recipients)
    msg["Date"] = formatdate(usegmt=True)
    # The sender's domain, never this host's name (make_msgid's default).
    domain = parseaddr(cfg.sender)[1].rpartition("@")[2] or "execmetrics.invalid"
    msg["Message-ID"] = make_msgid("execmetrics", domain=domain)
    msg.set_content(text)
    for name, body in attachments:
        maintype, subtype = ("application", "pdf") if name.endswith(".pdf") else ("text", "csv")
        msg.add_attachment(body, maintype=maintype, subtype=subtype, filename=name)
    return msg


def send_email(
    cfg: SmtpConfig, subject: str, text: str, attachments: list[tuple[str, bytes]]
) -> None:
    where = f"{cfg.host}:{cfg.port}"
    password = smtp_password(cfg)
    context = ssl.create_default_context(cafile=str(cfg.ca_file) if cfg.ca_file else None)
    try:
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds) as smtp:
            if cfg.starttls:
                smtp.starttls(context=context)
            if cfg.username:
                smtp.login(cfg.username, password or "")
            smtp.send_message(message(cfg, subject, text, attachments))
    except smtplib.SMTPAuthenticationError as exc:
        raise ServiceError(
            f"e-mail: SMTP server {where} refused the login ({exc.smtp_code})"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise ServiceError(f"e-mail: SMTP server {where} does not offer STARTTLS") from None
    except smtplib.SMTPException as exc:
        raise ServiceError(f"e-mail: SMTP server {where}: {type(exc).__name__}") from None
    except ssl.SSLError as exc:
        raise ServiceError(f"e-mail: TLS with {where} failed: {exc.reason}") from None
    except OSError as exc:
        raise ServiceError(
            f"e-mail: SMTP server {where} is unreachable ({exc.strerror or exc})"
        ) from None


def post_webhook(cfg: WebhookConfig, payload: dict[str, object]) -> None:
    try:
        response = niquests.post(
            cfg.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            timeout=cfg.timeout_seconds,
        )
    except niquests.exceptions.RequestException as exc:
        raise ServiceError(
            f"webhook: {_host(cfg.url)} is unreachable ({type(exc).__name__})"
        ) from None
    if response.status_code is None or response.status_code >= 300:
        raise ServiceError(f"webhook: {_host(cfg.url)} answered HTTP {response.status_code}")


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def attachment(path: Path) -> tuple[str, bytes]:
    return path.name, path.read_bytes()

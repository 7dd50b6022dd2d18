"""Scheduled reports: built into the reports directory (newest N kept), listed over
HTTP, e-mailed through a real local SMTP server (aiosmtpd, STARTTLS, login) and posted
to a local webhook; failures are counted and retried, never raised."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from exporter.config import parse_config
from exporter.errors import ServiceError
from exporter.groups import GROUPS
from exporter.history.report import archive, delivery
from exporter.history.report.jobs import ReportJobs
from exporter.store import Store
from tests.cli_support import assert_one_line_error, cli_env, run_cli
from tests.datasets import ZONE, march_2026
from tests.stack import free_port

NOW = datetime(2026, 4, 1, 6, 30, tzinfo=UTC)  # 1 April, 07:30 BST: March has ended
USER, PASSWORD = "reports", "s3cret-pass"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, list[EmailMessage]]]:
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    received: list[EmailMessage] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            received.append(parsed)
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == USER.encode()
            and data.password == PASSWORD.encode()
        )
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    port = free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


@contextmanager
def webhook_server(status: int = 200) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    posted: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.headers["Content-Type"] == "application/json"
            posted.append(json.loads(body))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", posted
    finally:
        server.shutdown()
        server.server_close()


def _config(tmp_path: Path, **reports: Any) -> Any:
    return parse_config(
        {
            "reporting": {"timezone": ZONE},
            "reports": {"enabled": True, "directory": str(tmp_path / "reports"), **reports},
        }
    )


def _smtp(port: int, cert: Path, password_file: Path) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "password_file": str(password_file),
        "sender": "execmetrics@example.org",
        "recipients": ["board@example.org"],
        "ca_file": str(cert),
    }


def test_monthly_report_is_kept_listed_mailed_and_posted(
    db_url: str, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    march_2026(db_url)
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    with smtp_server(certificate) as (port, mails), webhook_server() as (hook, posted):
        cfg = _config(
            tmp_path,
            smtp=_smtp(port, certificate[0], secret),
            webhook={"url": hook},
            public_url="http://127.0.0.1:9560",
            keep=1,
        )
        store = Store(tuple(g.name for g in GROUPS))
        paths = ReportJobs(db_url, cfg, store).monthly(now=NOW)
    assert [p.name for p in paths] == ["monthly-2026-03.pdf", "monthly-2026-03.csv"]
    assert paths[0].read_bytes().startswith(b"%PDF-")
    assert store.current.reports.failures == {}
    assert "monthly" in store.current.reports.last_success

    (mail,) = mails
    assert mail["Subject"] == "Board report — March 2026"
    assert mail["To"] == "board@example.org"
    assert email.utils.parsedate_to_datetime(mail["Date"]).tzinfo is not None
    assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith("@example.org>")
    names = [part.get_filename() for part in mail.iter_attachments()]
    assert names == ["monthly-2026-03.pdf", "monthly-2026-03.csv"]
    pdf = next(mail.iter_attachments()).get_payload(decode=True)
    assert pdf == paths[0].read_bytes()
    assert "MRR £74.99" in mail.get_body().get_content()  # type: ignore[union-attr]

    (message,) = posted
    assert "Board report — March 2026" in message["text"]
    assert "MRR £74.99" in message["text"]
    assert "http://127.0.0.1:9560/reports/monthly-2026-03.pdf" in message["text"]

    # keep = 1: an older month's files go when a newer one is kept.
    old = cfg.reports.directory / "monthly-2026-01.pdf"
    archive.save(cfg.reports.directory, "monthly-2026-02.pdf", b"%PDF-old", keep=1)
    assert not old.exists()
    assert [e.name for e in archive.entries(cfg.reports.directory)] == [
        "monthly-2026-03.pdf",
        "monthly-2026-03.csv",
    ]


def test_reports_pages(tmp_path: Path) -> None:
    from exporter.serve.http import create_app

    cfg = _config(tmp_path)
    folder = cfg.reports.directory
    archive.save(folder, "monthly-2026-02.pdf", b"%PDF-feb", keep=5)
    archive.save(folder, "monthly-2026-03.pdf", b"%PDF-mar", keep=5)
    archive.save(folder, "weekly-2026-03-30.csv", b"metric\n", keep=5)
    (folder / "notes.txt").write_text("not a report")
    client = TestClient(create_app(Store(tuple(g.name for g in GROUPS)), cfg))
    page = client.get("/reports/")
    assert page.status_code == 200
    assert "monthly-2026-03.pdf" in page.text and "weekly-2026-03-30.csv" in page.text
    assert "notes.txt" not in page.text
    latest = client.get("/reports/latest.pdf")
    assert latest.status_code == 200 and latest.content == b"%PDF-mar"
    assert latest.headers["content-type"] == "application/pdf"
    assert client.get("/reports/notes.txt").status_code == 404
    assert client.get("/reports/..%2Fsecret").status_code == 404
    assert "monthly-2026-03.pdf" in client.get("/").text


def test_failures_are_counted_retried_and_never_raised(db_url: str, tmp_path: Path) -> None:
    march_2026(db_url)
    with webhook_server(status=500) as (hook, posted):
        cfg = _config(tmp_path, webhook={"url": hook}, retries=2, retry_backoff_seconds=0.01)
        store = Store(tuple(g.name for g in GROUPS))
        paths = ReportJobs(db_url, cfg, store).monthly(now=NOW)
    assert paths  # the build succeeded
    assert len(posted) == 3  # one try and two retries
    assert store.current.reports.failures == {"webhook": 3}
    broken = _config(tmp_path, retries=1, retry_backoff_seconds=0.01)
    store = Store(tuple(g.name for g in GROUPS))
    dead = "postgresql://postgres@127.0.0.1:" + str(free_port()) + "/none"
    assert ReportJobs(dead, broken, store).monthly(now=NOW) == []
    assert store.current.reports.failures == {"build": 2}
    from exporter.serve.exposition import render

    text = render(store.current, broken).decode()
    assert 'execmetrics_report_failures_total{stage="build"} 2.0' in text


def test_cron_jobs_fire_at_local_times(tmp_path: Path) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    cfg = _config(tmp_path, monthly_time="07:00", weekly_time="08:30")
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)
    try:
        ReportJobs("postgresql://unused", cfg, Store(())).schedule(scheduler)
        monthly = scheduler.get_job("report:monthly").trigger
        weekly = scheduler.get_job("report:weekly").trigger
        after = datetime(2026, 3, 15, tzinfo=UTC)
        # 1 April 07:00 BST = 06:00Z; Monday 16 March 08:30 GMT = 08:30Z.
        assert monthly.get_next_fire_time(None, after) == datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
        assert weekly.get_next_fire_time(None, after) == datetime(2026, 3, 16, 8, 30, tzinfo=UTC)
    finally:
        scheduler.shutdown(wait=False)


def test_smtp_refusing_the_login(certificate: tuple[Path, Path], tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("wrong")
    with smtp_server(certificate) as (port, mails):
        cfg = parse_config({"reports": {"smtp": _smtp(port, certificate[0], secret)}})
        with pytest.raises(ServiceError, match="refused the login"):
            delivery.send_email(cfg.reports.smtp, "s", "t", [])
    assert mails == []


def test_cli_deliver_with_login_refused(
    db_url: str, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    march_2026(db_url)
    with smtp_server(certificate) as (port, mails):
        conf = tmp_path / "c.yml"
        smtp = _smtp(port, certificate[0], tmp_path / "unused")
        del smtp["password_file"]
        conf.write_text(json.dumps({"reporting": {"timezone": ZONE}, "reports": {"smtp": smtp}}))
        out = tmp_path / "march.csv"
        proc = run_cli(
            "--config",
            str(conf),
            "report",
            "--month",
            "2026-03",
            "--out",
            str(out),
            "--deliver",
            env=cli_env(db_url, EXECMETRICS_SMTP_PASSWORD="nope"),
        )
    line = assert_one_line_error(proc, 5)
    assert "refused the login" in line and "nope" not in line
    assert mails == []


def test_catch_up_builds_the_missed_pack_once(db_url: str, tmp_path: Path) -> None:
    """serve started after the 1st (here 07:30 on 1 April, after 07:00) builds March's
    pack and delivers it; a second start finds it and sends nothing."""
    march_2026(db_url)
    with webhook_server() as (hook, posted):
        cfg = _config(tmp_path, webhook={"url": hook}, monthly_time="07:00")
        store = Store(tuple(g.name for g in GROUPS))
        early = datetime(2026, 4, 1, 5, 30, tzinfo=UTC)  # 06:30 BST: the cron job is still due
        assert ReportJobs(db_url, cfg, store).catch_up(now=early) == []
        paths = ReportJobs(db_url, cfg, store).catch_up(now=NOW)
        assert [p.name for p in paths] == ["monthly-2026-03.pdf", "monthly-2026-03.csv"]
        assert ReportJobs(db_url, cfg, store).catch_up(now=NOW) == []
        later = datetime(2026, 4, 20, tzinfo=UTC)
        assert ReportJobs(db_url, cfg, store).catch_up(now=later) == []
    assert len(posted) == 1 and "March 2026" in posted[0]["text"]
    assert store.current.reports.failures == {}


def test_serve_schedules_the_catch_up_at_start(tmp_path: Path) -> None:
    """The catch-up job runs once at start; with this month's pack in place it finds it
    and builds nothing (the database is never touched)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from exporter.history.report.month import last_complete

    cfg = _config(tmp_path, monthly_time="00:00")
    month = last_complete(cfg.reporting.zone)
    store = Store(tuple(g.name for g in GROUPS))
    jobs = ReportJobs("postgresql://postgres@127.0.0.1:" + str(free_port()) + "/none", cfg, store)
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)
    try:
        jobs.schedule(scheduler)
        assert scheduler.get_job("report:catch-up") is not None
    finally:
        scheduler.shutdown(wait=False)
    archive.save(cfg.reports.directory, f"monthly-{month}.pdf", b"%PDF-", keep=5)
    assert jobs.missing_pack() is None and jobs.catch_up() == []
    (cfg.reports.directory / f"monthly-{month}.pdf").unlink()
    assert jobs.missing_pack() == month
    assert store.current.reports.failures == {}


def test_each_channel_is_tried_on_its_own_and_every_failure_counted(tmp_path: Path) -> None:
    """A dead SMTP server and an attachment that cannot be read (FileNotFoundError, not
    a ServiceError) are counted and retried; the webhook still posts each time."""
    from exporter.serve.exposition import render

    report = tmp_path / "reports" / "monthly-2026-03.csv"
    archive.save(report.parent, report.name, b"metric\n", keep=5)
    dead = {
        "host": "127.0.0.1",
        "port": free_port(),
        "starttls": False,
        "sender": "execmetrics@example.org",
        "recipients": ["board@example.org"],
    }
    with webhook_server() as (hook, posted):
        cfg = _config(
            tmp_path, smtp=dead, webhook={"url": hook}, retries=1, retry_backoff_seconds=0.01
        )
        store = Store(tuple(g.name for g in GROUPS))
        jobs = ReportJobs("postgresql://unused", cfg, store)
        jobs._deliver("Board report — March 2026", "MRR", [report], None)
        assert store.current.reports.failures == {"email": 2}
        jobs._deliver("Board report — March 2026", "MRR", [report.with_name("gone.pdf")], None)
    assert store.current.reports.failures == {"email": 4}
    assert len(posted) == 2
    text = render(store.current, cfg).decode()
    assert 'execmetrics_report_failures_total{stage="email"} 4.0' in text
    assert 'execmetrics_report_failures_total{stage="webhook"} 0.0' in text


def test_cli_deliver_attaches_pdf_and_csv_and_tries_every_channel(
    db_url: str, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    march_2026(db_url)
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD)
    with smtp_server(certificate) as (port, mails), webhook_server(500) as (hook, posted):
        conf = tmp_path / "c.yml"
        reports = {"smtp": _smtp(port, certificate[0], secret), "webhook": {"url": hook}}
        conf.write_text(json.dumps({"reporting": {"timezone": ZONE}, "reports": reports}))
        out = tmp_path / "march.csv"
        proc = run_cli(
            "--config",
            str(conf),
            "report",
            "--month",
            "2026-03",
            "--out",
            str(out),
            "--deliver",
            env=cli_env(db_url),
        )
    line = assert_one_line_error(proc, 5)
    assert "webhook" in line and "HTTP 500" in line
    assert "e-mailed to board@example.org" in proc.stdout
    assert len(posted) == 1
    (mail,) = mails
    parts = {p.get_filename(): p.get_payload(decode=True) for p in mail.iter_attachments()}
    assert list(parts) == ["monthly-2026-03.pdf", "monthly-2026-03.csv"]
    assert parts["monthly-2026-03.pdf"].startswith(b"%PDF-")
    assert parts["monthly-2026-03.csv"] == out.read_bytes()
    assert mail["Date"] and mail["Message-ID"]


def test_cli_deliver_counts_an_unexpected_error_and_still_posts(
    db_url: str, tmp_path: Path
) -> None:
    """A CA file that is not PEM fails inside ssl (not a ServiceError): the e-mail is one
    failure line, the webhook is still posted."""
    march_2026(db_url)
    bad_ca = tmp_path / "ca.pem"
    bad_ca.write_text("not a certificate")
    with webhook_server() as (hook, posted):
        conf = tmp_path / "c.yml"
        smtp = _smtp(free_port(), bad_ca, tmp_path / "unused")
        del smtp["password_file"]
        reports = {"smtp": smtp, "webhook": {"url": hook}}
        conf.write_text(json.dumps({"reporting": {"timezone": ZONE}, "reports": reports}))
        proc = run_cli(
            "--config",
            str(conf),
            "report",
            "--month",
            "2026-03",
            "--out",
            str(tmp_path / "march.csv"),
            "--deliver",
            env=cli_env(db_url),
        )
    line = assert_one_line_error(proc, 5)
    assert "e-mailed" in line or "SSLError" in line
    assert "posted to the webhook" in proc.stdout
    assert len(posted) == 1


def test_sizes_and_the_latest_link_only_with_a_pack(tmp_path: Path) -> None:
    from exporter.serve.http import create_app
    from exporter.serve.landing import human_size

    assert [human_size(n) for n in (0, 449, 1023, 1024, 1536, 5 * 1024**2)] == [
        "0 B",
        "449 B",
        "1023 B",
        "1.0 KiB",
        "1.5 KiB",
        "5.0 MiB",
    ]
    cfg = _config(tmp_path)
    archive.save(cfg.reports.directory, "weekly-2026-03-30.csv", b"x" * 449, keep=5)
    client = TestClient(create_app(Store(tuple(g.name for g in GROUPS)), cfg))
    for page in (client.get("/").text, client.get("/reports/").text):
        assert "449 B" in page and "Latest board pack" not in page
    archive.save(cfg.reports.directory, "monthly-2026-03.pdf", b"%" * 2048, keep=5)
    # The landing page is rendered once per state: a fresh app, as after a build.
    client = TestClient(create_app(Store(tuple(g.name for g in GROUPS)), cfg))
    for page in (client.get("/").text, client.get("/reports/").text):
        assert "2.0 KiB" in page and "Latest board pack" in page

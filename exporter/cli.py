"""The ``execmetrics`` command: thin wrappers over exporter.serve.service and friends.

Every failure a user can cause (config, argument, database) ends as one line on
stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from exporter.config import Config, load_config
from exporter.errors import ConfigError, ExecMetricsError, ServiceError
from exporter.instant import parse_instant
from exporter.redaction import redact

PROG = "execmetrics"
F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def url(self) -> str:
        from exporter.db import check_url

        return check_url(self.config.database_url())


class _RedactingFormatter(logging.Formatter):
    """Every log line passes the one redaction (exporter/redaction.py)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level.upper()), handlers=[handler], force=True)
    # One line per job run comes from our own scheduler log; APScheduler's own is noise.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))


def _file_option(flag: str, help: str) -> Callable[[F], F]:
    """An option naming a file, taken from ``EXECMETRICS_<FLAG>`` when not given."""
    envvar = "EXECMETRICS_" + flag.removeprefix("--").replace("-", "_").upper()
    path = click.Path(path_type=Path, dir_okay=False)
    return click.option(flag, type=path, envvar=envvar, help=help)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@_file_option("--config", "YAML config file (default: built-in defaults).")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default=None,
    help="Default: info for serve and demo (one line per job run), warning otherwise.",
)
@click.version_option(package_name="execmetrics", prog_name=PROG)
@click.pass_context
def cli(ctx: click.Context, config: Path | None, log_level: str | None) -> None:
    """Executive metrics of the wedding platform, for Prometheus.

    The database URL comes from EXECMETRICS_DATABASE_URL, database.url_file or
    database.url, in that order.
    """
    long_running = ctx.invoked_subcommand in ("serve", "demo")
    _setup_logging(log_level or ("info" if long_running else "warning"))
    ctx.obj = Context(config)


@cli.command()
@click.option("--force-views", is_flag=True, help="Rebuild the view layer even if unchanged.")
@click.option(
    "--create-source-tables",
    is_flag=True,
    help="Create the reference source tables when none exist (demos and tests only).",
)
@click.option(
    "--notify/--no-notify",
    default=None,
    help="Install (or remove) the change triggers on the source tables, so that serve "
    "recomputes within a second of a commit. Default: leave them as they are.",
)
@click.pass_obj
def migrate(
    obj: Context, force_views: bool, create_source_tables: bool, notify: bool | None
) -> None:
    """Create or upgrade the exporter's schema: the only command that changes it."""
    from exporter.migrate import migrate as run

    result = run(
        obj.url,
        obj.config,
        force_views=force_views,
        create_source_tables=create_source_tables,
        notify=notify,
    )
    parts = [f"schema version {result.version}"]
    if result.changed_settings:
        parts.append(f"changed the settings ({', '.join(result.changed_settings)})")
    if result.created_reference_tables:
        parts.append(f"created the reference source tables in {obj.config.source_schema!r}")
    if result.applied:
        parts.append(f"applied {', '.join(result.applied)}")
    parts.append("rebuilt the view layer" if result.rebuilt_views else "view layer current")
    if result.notify_tables is not None:
        parts.append(
            f"change triggers on {', '.join(result.notify_tables)}"
            if result.notify_tables
            else "no change triggers"
        )
    click.echo("migrate: " + "; ".join(parts))


@cli.command()
@click.option(
    "--scale", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True
)
@click.option(
    "--end",
    "end_text",
    metavar="ISO-8601",
    help="Last instant of the history (default: now, to the hour).",
)
@click.option("--replace", is_flag=True, help="Empty the source tables first.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_obj
def seed(obj: Context, scale: str, end_text: str | None, replace: bool, no_progress: bool) -> None:
    """Load deterministic demo data into the reference source tables."""
    from exporter.seed import seed as run

    end = parse_instant(end_text, "--end") if end_text is not None else None
    result = run(
        obj.url,
        obj.config.source_schema,
        scale,
        end=end,
        replace=replace,
        progress=not no_progress,
        config=obj.config,
    )
    rows = ", ".join(f"{n:,} {t}" for t, n in result.rows.items())
    click.echo(
        f"seed {result.scale}: {rows} in {result.seconds:.1f}s (history to "
        f"{result.end.isoformat()})"
    )


@cli.command()
@click.option("--at", "at_text", metavar="ISO-8601", help="Evaluation instant T (default: now).")
@click.pass_obj
def collect(obj: Context, at_text: str | None) -> None:
    """Compute every metric once at T and print the Prometheus exposition."""
    from exporter.serve.service import collect as run

    at: datetime | None = parse_instant(at_text) if at_text is not None else None
    result = run(obj.url, obj.config, at)
    sys.stdout.buffer.write(result.exposition)
    sys.stdout.flush()
    if result.errors:
        for group, error in sorted(result.errors.items()):
            _error(f"group {group}: {error}")
        sys.exit(1)


@cli.command()
@click.option("--listen", metavar="HOST:PORT", help="Override http.listen_address and port.")
@_file_option(
    "--web-config", "TLS and basic auth, in the Prometheus exporter-toolkit web-config format."
)
@click.pass_obj
def serve(obj: Context, listen: str | None, web_config: Path | None) -> None:
    """Run the scheduler and the HTTP server (/metrics, /, /-/healthy, /-/ready)."""
    from exporter.serve.http import parse_listen
    from exporter.serve.service import serve as run

    address = parse_listen(listen) if listen is not None else None
    run(obj.url, obj.config, address, web_config)


@cli.command()
@click.option("--month", "month_text", required=True, metavar="YYYY-MM", help="A past month.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "csv"]), default=None)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="File.")
@click.option("--deliver", is_flag=True, help="Also send it (reports.smtp, reports.webhook).")
@click.pass_obj
def report(obj: Context, month_text: str, fmt: str | None, out: Path, deliver: bool) -> None:
    """Write the board report of a calendar month (PDF, or CSV by --format or .csv)."""
    from exporter.history.report.build import report as run
    from exporter.history.report.month import Month

    month = Month.parse(month_text)
    fmt = report_format(fmt, out)
    if deliver and obj.config.reports.smtp is None and obj.config.reports.webhook is None:
        raise ConfigError("--deliver: neither reports.smtp nor reports.webhook is configured")
    built = run(obj.url, obj.config, month, fmt, out)
    click.echo(
        f"report {month} ({fmt}): figures at {built.data.at.isoformat()} -> {out} "
        f"in {built.seconds:.1f}s"
    )
    if deliver:
        from exporter.history.report.jobs import deliver_now, pack_files

        # The same files as the schedule's e-mail: the PDF and the CSV of the month.
        files = pack_files(built.data, {fmt: built.body})
        delivered = deliver_now(obj.config, built.data, files)
        for line in delivered.done:
            click.echo(line)
        if delivered.failures:
            raise ServiceError("; ".join(delivered.failures))


def report_format(fmt: str | None, out: Path) -> str:
    """The format of ``--out``: its extension, which ``--format`` (when given) must match."""
    suffix = out.suffix.lower().removeprefix(".")
    if suffix not in ("pdf", "csv"):
        raise ConfigError(f"--out {out}: name a .pdf or a .csv file")
    if fmt is not None and fmt != suffix:
        raise ConfigError(f"--out {out}: a .{suffix} file for --format {fmt}; name a .{fmt} file")
    return suffix


@cli.command()
@click.option("--dashboard", "uid", required=True, metavar="UID", help="A provisioned board.")
@click.option("--from", "from_text", metavar="ISO-8601", help="Start (default: 30 days ago).")
@click.option("--to", "to_text", metavar="ISO-8601", help="End (default: now).")
@click.option("--name", default=None, help="Snapshot name (default: board title and range).")
@click.pass_obj
def snapshot(
    obj: Context, uid: str, from_text: str | None, to_text: str | None, name: str | None
) -> None:
    """Post a Grafana snapshot of a board with its variables resolved; print its URL."""
    from exporter.grafana.snapshot import parse_range
    from exporter.grafana.snapshot import snapshot as run

    r = parse_range(
        parse_instant(from_text) if from_text else None,
        parse_instant(to_text) if to_text else None,
    )
    result = run(obj.config, uid, r, name=name)
    click.echo(result.url)


@cli.group()
def grafana() -> None:
    """Grafana through its HTTP API (for a Grafana whose files you cannot provision)."""


@grafana.command()
@click.option("--dry-run", is_flag=True, help="Only read; print what would change.")
@click.option(
    "--boards",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of board JSON files (default: the boards this package ships, built from dashboards/).",
)
@click.pass_obj
def push(obj: Context, dry_run: bool, boards: Path | None) -> None:
    """Upload the boards into a folder, the Prometheus datasource (and the PostgreSQL one
    when grafana.postgres_password_file is set) and an annotation."""
    from exporter.grafana.api import push as run

    plan = run(obj.config, boards, dry_run=dry_run)
    if plan.offline is not None:
        click.echo(f"grafana push: Grafana not read ({plan.offline}); as into an empty Grafana:")
    prefix = "would " if dry_run else ""
    for action in plan.actions:
        click.echo(f"grafana push: {prefix}{action}")


@cli.command()
@click.option("--from", "from_text", required=True, metavar="DATE", help="First day (local).")
@click.option("--to", "to_text", required=True, metavar="DATE", help="Last day (local).")
@click.option("--step", "step_text", default="1d", show_default=True, help="1d, 1w or 6h.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="File.")
@click.option("--jobs", default=4, show_default=True, type=click.IntRange(1, 32))
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_obj
def backfill(
    obj: Context,
    from_text: str,
    to_text: str,
    step_text: str,
    out: Path,
    jobs: int,
    no_progress: bool,
) -> None:
    """Write metric history as OpenMetrics for promtool tsdb create-blocks-from openmetrics."""
    from exporter.history.backfill import backfill as run
    from exporter.history.backfill import parse_step
    from exporter.instant import parse_date

    result = run(
        obj.url,
        obj.config,
        parse_date(from_text, "--from"),
        parse_date(to_text, "--to"),
        parse_step(step_text),
        out,
        jobs=jobs,
        progress=not no_progress,
    )
    click.echo(
        f"backfill: {result.instants} instants, {result.samples:,} samples in "
        f"{result.seconds:.1f}s ({result.rate:.1f} instants/s) -> {result.path}"
    )


@cli.command()
@click.option(
    "--scale", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True
)
@click.option("--listen", metavar="HOST:PORT", default="127.0.0.1:9560", show_default=True)
@click.pass_obj
def demo(obj: Context, scale: str, listen: str) -> None:
    """Start a throwaway PostgreSQL, migrate, seed and serve, until Ctrl-C."""
    from exporter.demo import run_demo

    run_demo(obj.config, scale, listen)


def _error(message: str) -> None:
    """The one line of a failure: one line, never a password."""
    line = " ".join(redact(message).split())
    click.echo(f"{PROG}: error: {line}", err=True)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name=PROG, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(f"{PROG}: interrupted", err=True)
        return 130
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message(), err=True)
        return 2
    except click.UsageError as exc:
        where = f" ({exc.ctx.command_path})" if exc.ctx is not None else ""
        _error(f"{exc.format_message()}{where}")
        return 2
    except click.ClickException as exc:
        _error(exc.format_message())
        return exc.exit_code
    except ExecMetricsError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo(f"{PROG}: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 141
    except Exception as exc:  # a bug: still one line (the traceback at --log-level debug)
        logging.getLogger("execmetrics").debug("unexpected error", exc_info=True)
        _error(f"unexpected {type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["ConfigError", "cli", "main"]

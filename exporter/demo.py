"""The demo: a throwaway PostgreSQL it owns, migrated, seeded, then served."""

from __future__ import annotations

import logging
import shlex

import click

from exporter.config import DATABASE_URL_ENV, Config
from exporter.devdb import throwaway_postgres
from exporter.migrate import migrate
from exporter.serve.http import parse_listen
from exporter.serve.service import serve

log = logging.getLogger("execmetrics")


def run_demo(config: Config, scale: str, listen: str) -> None:
    from exporter.seed import seed

    host, port = parse_listen(listen)
    with throwaway_postgres() as url:
        click.echo(f"demo: PostgreSQL started ({url})", err=True)
        click.echo(
            "demo: for other commands in another shell (collect, report, backfill …):\n"
            f"  export {DATABASE_URL_ENV}={shlex.quote(url)}",
            err=True,
        )
        migrate(url, config, create_source_tables=True)
        result = seed(url, config.source_schema, scale, config=config)
        click.echo(
            f"demo: seeded {scale}: " + ", ".join(f"{n:,} {t}" for t, n in result.rows.items()),
            err=True,
        )
        shown = f"[{host}]" if ":" in host else host
        base = f"http://{shown}:{port}"
        click.echo(
            f"demo: serving {base}/ (landing page), {base}/metrics, {base}/-/ready"
            " - Ctrl-C stops the exporter and deletes the demo database",
            err=True,
        )
        try:
            serve(url, config, (host, port))
        finally:
            click.echo("demo: stopped; deleting the demo database", err=True)
    click.echo("demo: deleted the demo database and its server's files", err=True)

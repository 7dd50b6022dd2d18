"""Config: defaults, refusals naming their path, and the database URL as a secret."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from exporter.config import (
    DATABASE_URL_ENV,
    DEFAULT_DATABASE_URL,
    SQL_GROUP_NAMES,
    Config,
    load_config,
    parse_config,
)
from exporter.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SECRET = "hunter2-s3cr3t"
SECRET_URL = f"postgresql://execmetrics:{SECRET}@db.internal:5432/platform"


def refused(data: object) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    message = str(info.value)
    assert "\n" not in message
    return message


def write(tmp_path: Path, text: str, name: str = "config.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- defaults


def test_defaults() -> None:
    config = load_config(None)
    assert config == Config() == parse_config({}) == parse_config(None)
    assert config.source_schema == "public"
    assert config.exporter_schema == "execmetrics"
    assert config.reporting.timezone == "UTC"
    assert config.reporting.currency == "GBP"
    assert config.viral.window == "30d"
    assert config.viral.window.delta == timedelta(days=30)
    assert config.engagement.session_cap == 14400
    assert config.engagement.window.delta == timedelta(days=7)
    assert config.breakdowns.top_n == 10
    for group in SQL_GROUP_NAMES:
        assert config.groups.schedule(group).interval_seconds == 300.0
    assert config.groups.forecast.interval_seconds == 86400.0  # a daily refit
    assert config.targets.mrr is None and config.targets.date is None
    assert config.refresh.interval_seconds == 300.0
    assert config.http.listen_address == "127.0.0.1"
    assert config.http.port == 9560
    assert config.http.grafana_url is None
    assert config.database.url is None and config.database.url_file is None
    assert config.database_url(environ={}) == DEFAULT_DATABASE_URL


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")) == Config()
    assert load_config(write(tmp_path, "# only a comment\n")) == Config()


def test_a_full_config_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
source: {schema: platform_views}
exporter: {schema: metrics}
reporting: {timezone: Europe/London, currency: EUR}
viral: {window: 2w}
engagement: {session_cap: 3600}
groups:
  revenue: {interval_seconds: 60}
http: {listen_address: 0.0.0.0, port: 9999}
""",
    )
    config = load_config(path)
    assert config.source_schema == "platform_views"
    assert config.exporter_schema == "metrics"
    assert config.reporting.timezone == "Europe/London"
    assert str(config.reporting.zone) == "Europe/London"
    assert config.reporting.currency == "EUR"
    assert config.viral.window == "2w" and config.viral.window.delta == timedelta(days=14)
    assert config.engagement.session_cap == 3600
    assert config.groups.revenue.interval_seconds == 60
    assert config.groups.users.interval_seconds == 300  # untouched groups keep the default
    assert (config.http.listen_address, config.http.port) == ("0.0.0.0", 9999)


def test_window_accepts_a_bare_number_of_days() -> None:
    assert parse_config({"viral": {"window": 7}}).viral.window == "7d"
    assert parse_config({"viral": {"window": "12h"}}).viral.window.delta == timedelta(hours=12)


def test_the_shipped_example_is_accepted() -> None:
    config = load_config(ROOT / "examples" / "config.yml")
    assert config.reporting.timezone == "Europe/London"
    assert config.database.url is None  # the example never holds a secret inline


# --------------------------------------------------------------------------- refusals


def test_unknown_key_is_refused_with_its_path() -> None:
    assert refused({"reporting": {"timzone": "UTC"}}) == "config: reporting.timzone: unknown key"
    assert refused({"reportng": {}}) == "config: reportng: unknown key"
    assert refused({"groups": {"billing": {}}}) == "config: groups.billing: unknown key"


def test_unknown_key_in_a_file_names_the_file_and_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, "reporting:\n  timzone: Europe/London\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: reporting.timzone: unknown key"


def test_bad_time_zone_message() -> None:
    message = refused({"reporting": {"timezone": "Europe/Londn"}})
    assert message.endswith("reporting.timezone: unknown time zone 'Europe/Londn'")
    assert message == "config: reporting.timezone: unknown time zone 'Europe/Londn'"


@pytest.mark.parametrize("currency", ["gbp", "POUND", "£", "GB", 826])
def test_bad_currency(currency: object) -> None:
    assert refused({"reporting": {"currency": currency}}).startswith("config: reporting.currency: ")


@pytest.mark.parametrize("window", ["30", "30x", "0d", "-1d", "1.5d", "d", 0, True])
def test_bad_window(window: object) -> None:
    message = refused({"viral": {"window": window}})
    assert message.startswith("config: viral.window: not a window like '30d'")


@pytest.mark.parametrize("port", [0, 65536, -1, "http", 1.5])
def test_bad_port(port: object) -> None:
    assert refused({"http": {"port": port}}).startswith("config: http.port: ")


def test_snapshot_board_and_range() -> None:
    default = Config().reports.snapshot
    assert (default.dashboard, default.range, default.range.delta) == (
        "execmetrics-revenue",
        "30d",
        timedelta(days=30),
    )
    chosen = parse_config(
        {"reports": {"snapshot": {"dashboard": "execmetrics-overview", "range": "2w"}}}
    ).reports.snapshot
    assert (chosen.dashboard, chosen.range.delta) == ("execmetrics-overview", timedelta(weeks=2))
    message = refused({"reports": {"snapshot": {"dashboard": "execmetrics-finance"}}})
    assert message.startswith(
        "config: reports.snapshot.dashboard: not a shipped board: 'execmetrics-finance' (boards: "
    )
    assert "\n" not in message and "execmetrics-growth" in message
    for bad in ("30", "1month", "0d", 1.5):
        message = refused({"reports": {"snapshot": {"range": bad}}})
        assert message.startswith("config: reports.snapshot.range: not a window like '30d'")
        assert "\n" not in message
    message = refused({"reports": {"snapshot": {"board": "execmetrics-revenue"}}})
    assert message == "config: reports.snapshot.board: unknown key"


def test_the_snapshot_boards_are_the_shipped_boards() -> None:
    from exporter.config import SHIPPED_BOARDS

    shipped = {p.stem for p in (ROOT / "dashboards").glob("execmetrics-*.json")}
    assert set(SHIPPED_BOARDS) == shipped


def test_cli_refuses_a_bad_snapshot_board_in_one_line(tmp_path: Path) -> None:
    from tests.cli_support import assert_one_line_error, cli_env, run_cli

    cfg = tmp_path / "c.yml"
    cfg.write_text("reports:\n  snapshot:\n    dashboard: nope\n")
    proc = run_cli("--config", str(cfg), "grafana", "push", "--dry-run", env=cli_env())
    assert "reports.snapshot.dashboard: not a shipped board: 'nope'" in assert_one_line_error(
        proc, 2
    )


def test_bad_values_elsewhere_name_their_path() -> None:
    assert refused({"source": {"schema": "Bad-Name"}}).startswith("config: source.schema: ")
    assert refused({"exporter": {"schema": "x y"}}).startswith("config: exporter.schema: ")
    assert refused({"engagement": {"session_cap": 0}}).startswith(
        "config: engagement.session_cap: "
    )
    assert refused({"groups": {"viral": {"interval_seconds": 0.5}}}).startswith(
        "config: groups.viral.interval_seconds: "
    )


def test_several_problems_are_counted_on_one_line() -> None:
    message = refused({"reporting": {"timzone": "UTC", "currency": "x"}, "http": {"port": 0}})
    assert message.startswith("config: ")
    assert message.endswith("(and 2 more problems)")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r": expected a mapping at the top level$"):
        load_config(write(tmp_path, "- just\n- a list\n"))


def test_yaml_syntax_error_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "reporting:\n  timezone: [UTC\nhttp:\n  port: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: not valid YAML at line ")


def test_missing_config_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: cannot read config: No such file or directory"


# --------------------------------------------------------------------------- database URL


def test_url_from_the_config() -> None:
    config = parse_config({"database": {"url": SECRET_URL}})
    assert config.database_url(environ={}) == SECRET_URL


def test_environment_overrides_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config({"database": {"url": SECRET_URL}})
    env_url = "postgresql://from-env@127.0.0.1/envdb"
    assert config.database_url(environ={DATABASE_URL_ENV: env_url}) == env_url
    monkeypatch.setenv(DATABASE_URL_ENV, env_url)
    assert config.database_url() == env_url  # the real process environment too
    monkeypatch.setenv(DATABASE_URL_ENV, "")
    assert config.database_url() == SECRET_URL  # an empty variable counts as unset


def test_environment_overrides_url_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "url"
    secret_file.write_text(SECRET_URL, encoding="utf-8")
    config = parse_config({"database": {"url_file": str(secret_file)}})
    assert config.database_url(environ={DATABASE_URL_ENV: "postgresql://env/db"}) == (
        "postgresql://env/db"
    )


def test_url_file_is_read_and_stripped(tmp_path: Path) -> None:
    secret_file = tmp_path / "database_url"
    secret_file.write_text(f"  {SECRET_URL}\n\n", encoding="utf-8")
    config = load_config(write(tmp_path, f"database:\n  url_file: {secret_file}\n"))
    assert config.database.url_file == secret_file
    assert config.database_url(environ={}) == SECRET_URL


def test_missing_url_file_is_a_config_error(tmp_path: Path) -> None:
    config = parse_config({"database": {"url_file": str(tmp_path / "absent")}})
    with pytest.raises(ConfigError) as info:
        config.database_url(environ={})
    message = str(info.value)
    assert message.startswith("database.url_file: cannot read ")
    assert "absent" in message and "\n" not in message


def test_empty_url_file_is_a_config_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    config = parse_config({"database": {"url_file": str(empty)}})
    with pytest.raises(ConfigError, match=r"^database\.url_file: .* is empty$"):
        config.database_url(environ={})


def test_url_and_url_file_together_are_refused(tmp_path: Path) -> None:
    message = refused({"database": {"url": SECRET_URL, "url_file": str(tmp_path / "u")}})
    assert message == "config: database: give either url or url_file, not both"
    assert SECRET not in message


# --------------------------------------------------------------------------- the secret


def test_secret_never_in_repr_str_or_dump() -> None:
    config = parse_config({"database": {"url": SECRET_URL}})
    for text in (
        repr(config),
        str(config),
        repr(config.database),
        str(config.database.url),
        config.model_dump_json(),
        repr(config.model_dump()),
    ):
        assert SECRET not in text
        assert "db.internal" not in text  # the whole URL is hidden, not only the password


@pytest.mark.parametrize(
    "database",
    [
        {"url": SECRET_URL, "urll": SECRET_URL},
        {"url": SECRET_URL, "pool_max_size": SECRET},
        {"url": {"nested": SECRET_URL}},
        {"url": [SECRET_URL]},
        {"url": SECRET_URL, "url_file": SECRET},
    ],
)
def test_secret_never_in_an_error_message(database: dict[str, object]) -> None:
    message = refused({"database": database})
    assert SECRET not in message
    assert message.startswith("config: database")


def test_secret_never_in_a_yaml_error(tmp_path: Path) -> None:
    path = write(tmp_path, f"database:\n  url: {SECRET_URL}\n  oops: [\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert SECRET not in str(info.value)
    assert "not valid YAML" in str(info.value)


# --------------------------------------------------------------------------- docs


def config_keys(model: type[BaseModel] = Config, prefix: str = "") -> list[str]:
    """Every leaf key of the config, dotted, as written in YAML (aliases, not field names)."""
    keys: list[str] = []
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(config_keys(annotation, key + "."))
        else:
            keys.append(key)
    return keys


def test_key_enumeration_sees_every_section() -> None:
    keys = config_keys()
    assert "reporting.timezone" in keys and "source.schema" in keys
    assert "groups.quality.timeout_seconds" in keys and "http.grafana_url" in keys


def test_every_key_is_documented_with_its_default() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    defaults = Config().model_dump(by_alias=True)
    for key in config_keys():
        assert f"`{key}`" in text, f"docs/configuration.md does not describe {key}"
        value: object = defaults
        for part in key.split("."):
            assert isinstance(value, dict)
            value = value[part]
        if value is None:
            continue
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        row = next(
            (ln for ln in text.splitlines() if ln.startswith(f"| `{key}` |")),
            None,
        )
        if row is None:  # the groups table documents groups.<group>.<key> once
            generic = "groups.<group>." + key.rsplit(".", 1)[1]
            row = next(ln for ln in text.splitlines() if ln.startswith(f"| `{generic}` |"))
        assert f"`{shown}`" in row, f"{key}: default {shown} not in {row!r}"


def test_every_key_appears_in_the_example() -> None:
    text = (ROOT / "examples" / "config.yml").read_text(encoding="utf-8")
    for key in config_keys():
        assert re.search(rf"\b{re.escape(key.rsplit('.', 1)[1])}:", text), key

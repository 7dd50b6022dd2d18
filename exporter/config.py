"""Configuration: one YAML file validated into a typed, immutable model.

Unknown keys are refused and every error names its path
(``reporting.timezone: unknown time zone 'Europe/Londn'``). The database URL is a
secret: it comes from ``EXECMETRICS_DATABASE_URL``, from a file named by
``database.url_file``, or (for local use) from ``database.url``; it is never logged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from iso4217 import Currency
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from exporter.errors import ConfigError
from exporter.redaction import remember_url
from exporter.vocabulary import TARGETS, GroupName

DATABASE_URL_ENV = "EXECMETRICS_DATABASE_URL"
REFRESH_DATABASE_URL_ENV = "EXECMETRICS_REFRESH_DATABASE_URL"
# A database named for the product on the local server, never the `postgres` maintenance
# database: with no URL configured, a first command fails to connect (exit 3) or finds
# no migrated schema (exit 4) instead of writing anywhere by accident.
DEFAULT_DATABASE_URL = "postgresql://127.0.0.1:5432/execmetrics"

# The active ISO 4217 codes (the maintained `iso4217` package), less XXX (no currency)
# and XTS (reserved for testing).
ISO_4217: frozenset[str] = frozenset(c.code for c in Currency) - {"XXX", "XTS"}

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DURATION = re.compile(r"^(?P<n>[1-9][0-9]*)(?P<unit>[hdw])$")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


class _Model(BaseModel):
    # strict: `interval_seconds: true` or `port: "9560"` is a mistake, not a number
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(f"not a plain lower-case SQL identifier: {value!r}")
    return value


class Window(str):
    """A window length written as ``<n>h``, ``<n>d`` or ``<n>w``; the text is its label."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        return core_schema.no_info_plain_validator_function(
            _window, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @property
    def delta(self) -> timedelta:
        m = _DURATION.match(self)
        assert m is not None
        return timedelta(hours=int(m["n"]) * _UNIT_HOURS[m["unit"]])


def _window(value: Any) -> Window:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        value = f"{value}d"
    if not isinstance(value, str) or not _DURATION.match(value):
        raise ValueError(f"not a window like '30d', '12h' or '2w': {value!r}")
    return Window(value)


def _url_from(
    env: Mapping[str, str], env_name: str, url: SecretStr | None, url_file: Path | None, what: str
) -> str | None:
    """A connection URL from the environment, else a file (``what`` names its key), else
    the config value; None when none is given."""
    if env.get(env_name):
        return remember_url(env[env_name])
    if url_file is not None:
        try:
            raw = url_file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{what}: cannot read {url_file}: {exc.strerror}") from None
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{what}: {url_file} is not UTF-8 text (byte {exc.start})") from None
        if not text:
            raise ConfigError(f"{what}: {url_file} is empty")
        return remember_url(text)
    if url is not None:
        return remember_url(url.get_secret_value())
    return None


class DatabaseConfig(_Model):
    url: SecretStr | None = None
    url_file: Path | None = Field(default=None, strict=False)
    pool_max_size: int = Field(default=8, ge=2, le=64)
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # at least 1 ms: PostgreSQL reads statement_timeout = 0 as "no limit"
    statement_timeout_seconds: float = Field(default=60.0, ge=0.001, le=3600)

    @model_validator(mode="after")
    def _one_source(self) -> DatabaseConfig:
        if self.url is not None and self.url_file is not None:
            raise ValueError("give either url or url_file, not both")
        return self


class _SchemaConfig(_Model):
    schema_: str = Field(alias="schema")

    @field_validator("schema_")
    @classmethod
    def _check(cls, value: str) -> str:
        return _identifier(value)


class SourceConfig(_SchemaConfig):
    schema_: str = Field(default="public", alias="schema")


class ExporterSchemaConfig(_SchemaConfig):
    schema_: str = Field(default="execmetrics", alias="schema")


class ReportingConfig(_Model):
    timezone: str = "UTC"
    currency: str = "GBP"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in ISO_4217:
            raise ValueError(f"not an ISO 4217 currency code like 'GBP': {value!r}")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ViralConfig(_Model):
    window: Window = Window("30d")


class EngagementConfig(_Model):
    session_cap: int = Field(default=14400, gt=0, le=2**31 - 1, description="seconds (int4)")
    window: Window = Window("7d")


class BreakdownConfig(_Model):
    top_n: int = Field(default=10, ge=1, le=50, description="label values kept before 'other'")


GROUP_NAMES: tuple[GroupName, ...] = tuple(GroupName)
# The groups a change in the source tables recomputes: the SQL groups (the forecast is
# refit on its own slow schedule).
SQL_GROUP_NAMES: tuple[GroupName, ...] = tuple(g for g in GroupName if g.sql)


class GroupSchedule(_Model):
    interval_seconds: float = Field(default=300.0, ge=1.0, le=86400.0)
    # at least 1 ms: PostgreSQL reads statement_timeout = 0 as "no limit"
    timeout_seconds: float = Field(default=120.0, ge=0.001, le=3600.0)


# A forecast is refit once a day by default: its history moves by a day a day.
DEFAULT_SCHEDULES: dict[GroupName, GroupSchedule] = {
    GroupName.FORECAST: GroupSchedule(interval_seconds=86400.0, timeout_seconds=600.0)
}


class _GroupsBase(_Model):
    """One schedule per group of the vocabulary; the fields are made from GroupName."""

    @property
    def schedules(self) -> dict[GroupName, GroupSchedule]:
        return {GroupName(name): value for name, value in self}

    def schedule(self, group: str) -> GroupSchedule:
        return self.schedules[GroupName(group)]


if TYPE_CHECKING:

    class GroupsConfig(_GroupsBase):
        pass

else:
    GroupsConfig = create_model(
        "GroupsConfig",
        __base__=_GroupsBase,
        __module__=__name__,
        **{g.value: (GroupSchedule, DEFAULT_SCHEDULES.get(g, GroupSchedule())) for g in GroupName},
    )


_Date = date


class StickinessTargets(_Model):
    """The DAU/MAU benchmark per side (defaults: the green edge of each side's bands)."""

    supplier: float = Field(default=TARGETS.supplier_stickiness.green, gt=0, le=1)
    couple: float = Field(default=TARGETS.couple_stickiness.green, gt=0, le=1)


class TargetsConfig(_Model):
    """The numbers boards and alerts compare the metrics with, exported as execmetrics_target."""

    viral_coefficient: float = Field(default=TARGETS.viral_coefficient, gt=0, le=100)
    stickiness: StickinessTargets = StickinessTargets()
    at_risk_quiet_period: Window = Window(f"{TARGETS.at_risk_quiet_period.days}d")
    mrr: float | None = Field(
        default=None, gt=0, description="MRR to reach by `date` (reporting currency)"
    )
    paying_suppliers: float | None = Field(
        default=None, gt=0, description="paying suppliers to reach by `date`"
    )
    date: _Date | None = Field(
        default=None,
        strict=False,
        description=(
            "the day by whose end (the local midnight that ends it) the targets are paced; "
            "unset: the end of the current local year"
        ),
    )

    @field_validator("date", mode="before")
    @classmethod
    def _a_date(cls, value: Any) -> Any:
        if isinstance(value, datetime) or not isinstance(value, date | str | None):
            raise ValueError(f"not a date like 2027-12-31: {value!r}")
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"not a date like 2027-12-31: {value!r}") from None
        return value

    def target_day(self, zone: ZoneInfo, now: datetime) -> _Date:
        """The day the targets are paced to: ``date``, else the last day of ``now``'s
        local year."""
        return self.date or _Date(now.astimezone(zone).year, 12, 31)


class RefreshConfig(_Model):
    interval_seconds: float = Field(default=300.0, ge=1.0, le=86400.0)
    enabled: bool = Field(
        default=True,
        description=(
            "refresh the rollups from this process; off for a replica whose database is "
            "read-only (a hot standby: the primary's exporter refreshes, and the standby "
            "replays the rollups)"
        ),
    )
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "the primary, when database.url is a hot standby: the refresh and its lease "
            "run there (env EXECMETRICS_REFRESH_DATABASE_URL)"
        ),
    )
    database_url_file: Path | None = Field(default=None, strict=False)

    @model_validator(mode="after")
    def _one_source(self) -> RefreshConfig:
        if self.database_url is not None and self.database_url_file is not None:
            raise ValueError("give either database_url or database_url_file, not both")
        return self


class ChangesConfig(_Model):
    """How ``serve`` follows changes in the source tables between scheduled runs: the
    groups that read a changed table are recomputed within about a second."""

    listen: bool = Field(
        default=True, description="LISTEN for the change triggers of `migrate --notify`"
    )
    poll_seconds: float | None = Field(
        default=None,
        ge=0.5,
        le=3600,
        description="poll each table's largest key this often (off when unset)",
    )
    quiet_seconds: float = Field(
        default=0.25, ge=0, le=60, description="recompute once changes pause this long"
    )
    max_delay_seconds: float = Field(
        default=1.0, gt=0, le=300, description="and at most this long after the first change"
    )
    groups: tuple[str, ...] | None = Field(
        default=None, strict=False, description="the groups a change recomputes (unset: all)"
    )

    @field_validator("groups")
    @classmethod
    def _known(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        unknown = [g for g in value or () if g not in SQL_GROUP_NAMES]
        if unknown:
            raise ValueError(f"unknown group {unknown[0]!r} (groups: {', '.join(SQL_GROUP_NAMES)})")
        return value

    @model_validator(mode="after")
    def _order(self) -> ChangesConfig:
        if self.quiet_seconds > self.max_delay_seconds:
            raise ValueError("quiet_seconds must not exceed max_delay_seconds")
        return self


class HttpConfig(_Model):
    listen_address: str = "127.0.0.1"
    port: int = Field(default=9560, ge=1, le=65535)
    grafana_url: str | None = Field(
        default=None, description="linked from the landing page when set"
    )
    # A request's headers must arrive within this many seconds of connecting (or of
    # the previous response); slower clients are closed.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Keep-alive: an idle connection is closed after this many seconds.
    idle_timeout_seconds: int = Field(default=120, ge=1, le=3600)
    # Open connections beyond this are closed at once.
    max_connections: int = Field(default=4096, ge=16, le=65536)
    # Open /events streams (live landing pages) beyond this are refused with 503: each
    # holds a connection for as long as its page is open.
    max_event_streams: int = Field(default=100, ge=1, le=65536)

    @field_validator("grafana_url")
    @classmethod
    def _http_link(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/?#]+", value, re.IGNORECASE):
            raise ValueError("must be an http:// or https:// URL")
        return value


class GrafanaConfig(_Model):
    """Where ``grafana push`` and ``snapshot`` talk to Grafana; the API token comes from
    ``EXECMETRICS_GRAFANA_TOKEN`` or the file ``token_file``, never from this file."""

    url: str | None = None
    token_file: Path | None = Field(default=None, strict=False)
    folder_uid: str = "execmetrics"
    folder_title: str = "Executive metrics"
    prometheus_url: str = Field(
        default="http://127.0.0.1:9090", description="queried by snapshot for panel data"
    )
    datasource_url: str | None = Field(
        default=None, description="Prometheus URL as Grafana reaches it (default: prometheus_url)"
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    postgres_password_file: Path | None = Field(
        default=None,
        strict=False,
        description=(
            "grafana_reader's password: when set, push creates or updates the PostgreSQL "
            "datasource (user grafana_reader, database and host of the database URL)"
        ),
    )
    postgres_host: str | None = Field(
        default=None,
        pattern=r"^[^\s/:]+(:[0-9]{1,5})?$",
        description="host[:port] as Grafana reaches PostgreSQL (default: the database URL's)",
    )


class SmtpConfig(_Model):
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password_file: Path | None = Field(
        default=None, strict=False, description="else EXECMETRICS_SMTP_PASSWORD"
    )
    sender: str
    recipients: tuple[str, ...] = Field(min_length=1, strict=False)
    ca_file: Path | None = Field(
        default=None, strict=False, description="CA bundle to verify the server"
    )
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)


class WebhookConfig(_Model):
    url: str
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)


# The uids of the boards the package ships (dashboards/*.json; tests/test_config.py checks
# them against the build): the boards a scheduled snapshot may take.
OVERVIEW_BOARD = "execmetrics-overview"
SHIPPED_BOARDS: tuple[str, ...] = (
    OVERVIEW_BOARD,
    *(f"execmetrics-{g}" for g in GroupName if g not in (GroupName.QUALITY, GroupName.FORECAST)),
)


class SnapshotConfig(_Model):
    """The Grafana snapshot the monthly report links to (taken when grafana.url and a
    token are configured): which board, over how long a range ending at the report."""

    dashboard: str = Field(default="execmetrics-revenue", description="uid of a shipped board")
    range: Window = Field(default=Window("30d"), description="the range, ending now")

    @field_validator("dashboard")
    @classmethod
    def _shipped(cls, value: str) -> str:
        if value not in SHIPPED_BOARDS:
            raise ValueError(
                f"not a shipped board: {value!r} (boards: {', '.join(SHIPPED_BOARDS)})"
            )
        return value


class ReportsConfig(_Model):
    """Board reports built by ``serve``: monthly on the 1st, a weekly summary on Mondays."""

    enabled: bool = False
    directory: Path = Field(default=Path("reports"), strict=False)
    keep: int = Field(default=24, ge=1, le=1000)
    monthly_time: str = Field(default="07:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    weekly: bool = True
    weekly_time: str = Field(default="07:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    retries: int = Field(default=3, ge=0, le=10)
    retry_backoff_seconds: float = Field(default=60.0, gt=0, le=3600)
    public_url: str | None = Field(default=None, description="exporter URL linked by delivery")
    smtp: SmtpConfig | None = None
    webhook: WebhookConfig | None = None
    snapshot: SnapshotConfig = SnapshotConfig()


class Config(_Model):
    database: DatabaseConfig = DatabaseConfig()
    source: SourceConfig = SourceConfig()
    exporter: ExporterSchemaConfig = ExporterSchemaConfig()
    reporting: ReportingConfig = ReportingConfig()
    viral: ViralConfig = ViralConfig()
    engagement: EngagementConfig = EngagementConfig()
    breakdowns: BreakdownConfig = BreakdownConfig()
    groups: GroupsConfig = GroupsConfig()
    targets: TargetsConfig = TargetsConfig()
    refresh: RefreshConfig = RefreshConfig()
    changes: ChangesConfig = ChangesConfig()
    http: HttpConfig = HttpConfig()
    grafana: GrafanaConfig = GrafanaConfig()
    reports: ReportsConfig = ReportsConfig()

    @model_validator(mode="after")
    def _target_day(self) -> Config:
        day = self.targets.date
        today = datetime.now(UTC).astimezone(self.reporting.zone).date()
        if day is not None and day < today:
            raise ValueError(
                f"targets.date: {day.isoformat()} is in the past (today is "
                f"{today.isoformat()} in {self.reporting.timezone})"
            )
        return self

    @model_validator(mode="after")
    def _own_schema(self) -> Config:
        if self.exporter.schema_ == self.source.schema_:
            raise ValueError(
                f"exporter.schema and source.schema are both {self.source.schema_!r}: "
                "the exporter needs a schema of its own"
            )
        return self

    @property
    def source_schema(self) -> str:
        return self.source.schema_

    @property
    def exporter_schema(self) -> str:
        return self.exporter.schema_

    def database_url(self, environ: dict[str, str] | None = None) -> str:
        """The connection URL: environment first, then url_file, then url, then the default."""
        found = _url_from(
            os.environ if environ is None else environ,
            DATABASE_URL_ENV,
            self.database.url,
            self.database.url_file,
            "database.url_file",
        )
        return found or DEFAULT_DATABASE_URL

    def refresh_database_url(self, environ: dict[str, str] | None = None) -> str | None:
        """Where the rollup refresh and its lease run, when not on ``database_url`` (the
        primary, for a replica that reads a hot standby): environment, file, value."""
        return _url_from(
            os.environ if environ is None else environ,
            REFRESH_DATABASE_URL_ENV,
            self.refresh.database_url,
            self.refresh.database_url_file,
            "refresh.database_url_file",
        )


def _format_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"] if p not in ("schema_",)) or "config"
    if first["loc"] and first["loc"][-1] == "schema_":
        path = ".".join([*(str(p) for p in first["loc"][:-1]), "schema"])
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    msg = msg.removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    if not first["loc"]:
        return f"{msg}{suffix}"
    return f"{path}: {msg}{suffix}"


def parse_config(data: Any, origin: str = "config") -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping at the top level")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {_format_error(exc)}") from None


class DuplicateKeyError(yaml.YAMLError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last).
    A date stays text (``targets.date`` parses it and names itself when it is wrong)."""

    yaml_implicit_resolvers = {  # noqa: RUF012 (PyYAML's own class attribute)
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise DuplicateKeyError(
                        f"duplicate key {key!r} at line {key_node.start_mark.line + 1}"
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


def load_config(path: Path | None) -> Config:
    """Read and validate the YAML config; ``None`` gives the defaults."""
    if path is None:
        return Config()
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
    except DuplicateKeyError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    return parse_config(data, origin=str(path))

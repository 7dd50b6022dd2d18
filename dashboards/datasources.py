"""The two datasources every board reads through its datasource variables."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as models

PROMETHEUS_TYPE = "prometheus"
PROMETHEUS_UID = "execmetrics-prometheus"
PROMETHEUS_NAME = "Prometheus"
POSTGRES_TYPE = "grafana-postgresql-datasource"
POSTGRES_UID = "execmetrics-postgres"
POSTGRES_NAME = "PostgreSQL (execmetrics)"

PROM_VAR = "datasource"
PG_VAR = "pg_datasource"
PROM = models.DataSourceRef(type_val=PROMETHEUS_TYPE, uid="${" + PROM_VAR + "}")
PG = models.DataSourceRef(type_val=POSTGRES_TYPE, uid="${" + PG_VAR + "}")


def prometheus_variable() -> dash.DatasourceVariable:
    return (
        dash.DatasourceVariable(PROM_VAR)
        .label("Prometheus")
        .description("Prometheus that scrapes the execmetrics exporter.")
        .type(PROMETHEUS_TYPE)
        .current(models.VariableOption(selected=True, text=PROMETHEUS_NAME, value=PROMETHEUS_UID))
    )


def postgres_variable() -> dash.DatasourceVariable:
    return (
        dash.DatasourceVariable(PG_VAR)
        .label("PostgreSQL")
        .description(
            "PostgreSQL datasource logged in as grafana_reader, which can read only the "
            "exporter's aggregates and bounded records_ tables."
        )
        .type(POSTGRES_TYPE)
        .current(models.VariableOption(selected=True, text=POSTGRES_NAME, value=POSTGRES_UID))
    )

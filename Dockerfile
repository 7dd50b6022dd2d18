# syntax=docker/dockerfile:1
# The execmetrics exporter: `execmetrics serve` on 0.0.0.0:9560 as a non-root user.
# Other subcommands run with the same image: `docker run IMAGE migrate`, `... seed`.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# The wheel carries the package and the SQL files (pyproject.toml force-includes sql/).
COPY pyproject.toml README.md ./
COPY exporter ./exporter
COPY sql ./sql
RUN /opt/venv/bin/pip install . \
    && /opt/venv/bin/execmetrics --help >/dev/null

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 execmetrics \
    && useradd --system --uid 10001 --gid execmetrics --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin execmetrics
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /tmp
EXPOSE 9560
# Liveness: the HTTP server answers. Readiness (/-/ready) waits for every metric group's
# first success and is for load balancers, not for restarts.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9560/-/healthy', timeout=4)"]
ENTRYPOINT ["execmetrics"]
# 0.0.0.0 is the container's own network namespace: the exporter is reachable from the
# other containers of its network and from the host only through a published port
# (docker-compose.yml publishes 127.0.0.1:9560). serve logs a warning saying so. To
# expose it further, give it TLS and basic auth: serve --web-config FILE.
CMD ["serve", "--listen", "0.0.0.0:9560"]

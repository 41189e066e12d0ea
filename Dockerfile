# Acme Importer: one image for the web app (`acme serve`, the default) and the Celery worker
# (`acme worker`) and the migration task (`acme db upgrade`). Linted by hadolint in `make test`.

# --- build: install the package and its dependencies into a virtualenv ------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --no-cache-dir .

# --- runtime: the virtualenv only, run by an unprivileged user --------------------------------
FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FORWARDED_ALLOW_IPS=* \
    ACME_STORAGE_URL=file:///app/var/uploads
RUN groupadd --system --gid 10001 acme \
    && useradd --system --uid 10001 --gid acme --home-dir /app --create-home --shell /usr/sbin/nologin acme \
    && mkdir -p /app/var/uploads /app/var/keys \
    && chown -R acme:acme /app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# liveness of the web app; the worker service disables it (compose) / has none (ECS)
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# 0.0.0.0: reachable from outside the container (the CLI's own default is loopback only)
CMD ["acme", "serve", "--host", "0.0.0.0", "--port", "8000"]

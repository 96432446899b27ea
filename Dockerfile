# One image for web, worker and scheduler; they differ only by command (see compose.yaml):
#   web:       gunicorn -c gunicorn.conf.py srsite.asgi:application   (the default CMD)
#   worker:    celery -A srsite worker -Q inference,default --concurrency 1   (one per GPU)
#   scheduler: celery -A srsite beat
# torch==2.14.1 from PyPI (requirements.txt) is the CUDA build for Linux x86_64: it brings its
# own CUDA runtime libraries, so the base needs no CUDA toolkit, only the NVIDIA driver on the
# host (NVIDIA Container Toolkit; compose reserves the GPU). No Docker engine runs on the
# development machines: tests/test_deploy_files.py checks this file and compose.yaml by reading.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtualenv with the pinned requirements ------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install --upgrade pip && pip install -r /tmp/requirements.txt

# --- runtime ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=srsite.settings.production \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    DJANGO_MEDIA_ROOT=/data/media \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

# libgomp1: torch's CPU kernels (OpenMP). No compilers in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 --user-group srsite \
    && mkdir -p /data/media /tmp/prometheus \
    && chown -R srsite:srsite /data /tmp/prometheus

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=srsite:srsite . .

# collectstatic imports the production settings, which insist on these variables; the
# values exist only for this step (nothing connects to them).
RUN DJANGO_SECRET_KEY=collectstatic-only-build-step-never-used-to-sign-anything \
    REDIS_URL=redis://build-only:6379/0 \
    DATABASE_URL=postgres://build-only/build-only \
    python manage.py collectstatic --noinput \
    && python -m compileall -q srsite upscaler gallery

USER srsite
EXPOSE 8000
VOLUME ["/data/media"]

# Liveness of the web process (the worker and scheduler override this in compose.yaml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "srsite.asgi:application"]

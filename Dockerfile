# One image for web and worker; they differ only by command (see compose.yaml).
#   web:    gunicorn srsite.asgi:application -k uvicorn.workers.UvicornWorker
#   worker: celery -A srsite worker -Q inference,default --concurrency 1
# Note: torch==2.14.1 from PyPI is the CUDA build (several GB). This file has not been built
# on the development machines (no Docker engine there).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=srsite.settings.production

RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 srsite

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=srsite:srsite . .
# collectstatic needs settings that import cleanly; these values exist only for this step.
RUN DJANGO_SECRET_KEY=build-only REDIS_URL=redis://build-only:6379/0 \
    DATABASE_URL=postgres://build-only/build-only DJANGO_STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --noinput \
    && mkdir -p /data/media && chown -R srsite:srsite /data

ENV DJANGO_STATIC_ROOT=/app/staticfiles \
    DJANGO_MEDIA_ROOT=/data/media

USER srsite
EXPOSE 8000
CMD ["gunicorn", "srsite.asgi:application", "-k", "uvicorn.workers.UvicornWorker", \
     "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]

# Production image: gunicorn serves the app, WhiteNoise serves the collected static files.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
# WeasyPrint needs Pango and a font. (The health checks use Python, not curl.)
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && useradd --create-home --uid 1000 rcvs \
    && mkdir -p /data/media && chown rcvs /data/media
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# collectstatic needs production settings to load; a throw-away key that lives only in this step.
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" ALLOWED_HOSTS=build \
    DATABASE_URL=postgresql://build@localhost/none CELERY_BROKER_URL=redis://build:6379/0 \
    python manage.py collectstatic --no-input -v 0 \
    && chown -R rcvs /app
USER rcvs
EXPOSE 8000
CMD ["gunicorn", "rcvs.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

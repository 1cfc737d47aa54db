# Production image: gunicorn serves the app, WhiteNoise serves the collected static files.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
# WeasyPrint needs Pango; curl is for the health checks.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && useradd --create-home --uid 1000 rcvs
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic-only-build-time-key-0123456789abcdef ALLOWED_HOSTS=build \
    DATABASE_URL=postgresql://build@localhost/none python manage.py collectstatic --no-input -v 0 \
    && chown -R rcvs /app
USER rcvs
EXPOSE 8000
CMD ["gunicorn", "rcvs.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

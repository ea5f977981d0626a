# Production image of smartcity5: gunicorn for web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 smartcity5
WORKDIR /app

COPY pyproject.toml README.md ./
COPY smartcity5 smartcity5
COPY municipalities municipalities
COPY accounts accounts
COPY projects projects
COPY participation participation
RUN pip install .

COPY manage.py ./
COPY templates templates
COPY static static
COPY locale locale
COPY locale_allauth locale_allauth

# Build the hashed, compressed static files; the values below exist only for this build step.
RUN SMARTCITY5_ENV=production SECRET_KEY=build-only ALLOWED_HOSTS=build REDIS_URL=redis://build:6379/0 \
    EMAIL_URL=consolemail:// python manage.py collectstatic --noinput \
 && mkdir -p /app/media && chown smartcity5 /app/media

USER smartcity5
EXPOSE 8000
CMD ["gunicorn", "smartcity5.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

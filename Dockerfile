# Production image of smartcity5: gunicorn for web, the same image for the Celery worker and beat.
# What goes in is decided by .dockerignore (tests/test_deploy.py checks the file set without a Docker engine).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (PDF reports) needs Pango and HarfBuzz and a font; nothing else comes from apt.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 smartcity5
WORKDIR /app

# Dependencies first, from the lock with hashes (this layer is rebuilt only when the lock changes).
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

# Then the whole project, and the project itself without resolving anything.
COPY . .
RUN pip install --no-deps --no-build-isolation . && rm -rf build *.egg-info

# Build the hashed, compressed static files in production mode; the values below exist only for this step.
RUN SMARTCITY5_ENV=production SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build REDIS_URL=redis://build:6379/0 \
    EMAIL_URL=consolemail:// python manage.py collectstatic --noinput \
 && mkdir -p /app/media && chown smartcity5 /app/media

USER smartcity5
EXPOSE 8000
# No HEALTHCHECK here: the image runs web, worker and beat; docker-compose.yml gives each its own.
CMD ["gunicorn", "--config", "gunicorn.conf.py"]

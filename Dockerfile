# One image for web, worker and beat: the portal's code, its pinned packages and a Java runtime for Spark.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless git libpostgresql-jdbc-java procps \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
ENV PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=portal.settings
RUN SECRET_KEY=build-only-collectstatic python manage.py collectstatic --noinput
RUN useradd --create-home --uid 1000 hub && mkdir -p /app/var && chown -R hub /app/var
USER hub
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--config", "python:portal.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "3"]

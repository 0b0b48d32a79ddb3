FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 1000 grievance \
    && DEBUG=False SECRET_KEY="$(python -c "import secrets; print(secrets.token_urlsafe(64))")" \
        python manage.py collectstatic --noinput \
    && chown -R grievance /app
USER grievance

EXPOSE 8000
CMD ["gunicorn", "grievance.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

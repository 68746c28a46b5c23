# syntax=docker/dockerfile:1
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
RUN groupadd --system nexfitra && useradd --system --gid nexfitra --home /app nexfitra

# Tesseract OCR reads receipt photos (POST /api/v1/inventory/receipt with an image).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first (cached layer), strictly from the hashed lock.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY pyproject.toml alembic.ini README.md ./
COPY app ./app
COPY migrations ./migrations
COPY scripts ./scripts
RUN pip install --no-deps --no-build-isolation . \
    && mkdir -p /app/data && chown -R nexfitra:nexfitra /app/data

USER nexfitra
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"8000\")}/health', timeout=2)"

# Same script CI runs: migrations, then uvicorn on $PORT.
CMD ["bash", "scripts/start.sh"]

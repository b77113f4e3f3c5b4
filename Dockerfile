# Parapluie chatbot: small Python base, non-root user, data on a volume.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_DATA_DIR=/data

WORKDIR /app
# The exact versions `make run` and CI use, checked against their hashes.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
# Installed as a package (not editable): content, translations and the example config travel
# inside it (bot/resources.py), and the sources are not kept in the image.
COPY pyproject.toml README.md config.example.yaml ./src/
COPY bot ./src/bot
COPY content ./src/content
COPY locales ./src/locales
# Bytecode compiled once here: with PYTHONDONTWRITEBYTECODE every start would compile bot/.
RUN pip install --no-cache-dir --no-deps ./src \
    && rm -rf ./src \
    && python -m compileall -q /usr/local/lib/python3.11/site-packages/bot \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin parapluie \
    && mkdir -p /data && chown parapluie /data

USER 10001
VOLUME ["/data"]
CMD ["python", "-m", "bot", "run"]

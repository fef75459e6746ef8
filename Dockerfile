# Production image: the bot with its models baked in (nothing is downloaded at run time).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TUTOR_DATA_DIR=/data TUTOR_OUTPUT_DIR=/data/out \
    TUTOR_MODEL_CACHE=/app/models

WORKDIR /app
# torch first, pinned: 2.13.0 is the CPU wheel; an unpinned torch would pull CUDA libraries.
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY tools ./tools
RUN pip install . && useradd --create-home tutor && mkdir -p /data /app/models && chown tutor /data /app/models
USER tutor
# Build the index into /data at image build time: a new named volume starts with a copy of it,
# so the first question is fast (it is rebuilt automatically if the articles change). This also
# exports the embedding model to ONNX into /app/models, which the bot's process runs.
RUN tutor index build
VOLUME ["/data"]
CMD ["tutor", "run"]

"""A real OpenAI-compatible server for the ``real_llm`` tests: llama.cpp serving SmolLM2-135M.

``scripts/test-llm-server`` (which ``./scripts/test`` runs the suite through) starts the server
and sets ``TUTOR_REAL_LLM_URL``. Without it these tests are skipped locally; under CI
(``CI=true``) a missing server is a failure, never a skip.
"""

from __future__ import annotations

import os

import pytest

REAL_LLM_ENV = "TUTOR_REAL_LLM_URL"


def pytest_configure(config):
    config.addinivalue_line("markers", "real_llm: needs the real llama.cpp server (scripts/test-llm-server)")


def pytest_collection_modifyitems(config, items):
    """Skip at collection (before any fixture loads the model and index) when there is no server."""
    if os.environ.get(REAL_LLM_ENV) or os.environ.get("CI") == "true":
        return
    skip = pytest.mark.skip(reason=f"no real LLM server ({REAL_LLM_ENV} unset): run ./scripts/test")
    for item in items:
        if "real_llm" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def real_llm_url() -> str:
    url = os.environ.get(REAL_LLM_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{REAL_LLM_ENV} is not set: CI must run the real-server tests (through scripts/test)")
    pytest.skip(f"no real LLM server ({REAL_LLM_ENV} unset): run ./scripts/test or scripts/test-llm-server")


@pytest.fixture(scope="session")
def real_model(real_llm_url) -> str:
    import openai

    client = openai.OpenAI(base_url=real_llm_url, api_key="no-key", max_retries=0, timeout=30)
    return client.models.list().data[0].id

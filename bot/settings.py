"""All configuration, from environment variables and an optional ``.env`` file.

One pydantic-settings model, read once per process via :func:`get_settings`. Every field is
documented in ``.env.example``; the Discord token is a ``SecretStr`` so it never shows up in
logs or reprs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INTERACTION_BUDGET_S = 14 * 60.0  # of the 15-minute interaction token, a minute is kept for the reply


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True, populate_by_name=True
    )

    discord_token: SecretStr | None = Field(default=None, description="Bot token; unset = console mode")
    dev_guild_id: int | None = Field(default=None, description="Guild to sync slash commands to at start")

    data_dir: Path = Field(default=PROJECT_ROOT / "var", alias="TUTOR_DATA_DIR")
    articles_dir: Path | None = Field(default=None, alias="TUTOR_ARTICLES_DIR")
    embedding_model_dir: Path | None = Field(default=None, alias="TUTOR_EMBEDDING_MODEL_DIR")
    model_cache: Path | None = Field(default=None, alias="TUTOR_MODEL_CACHE")  # the ONNX export
    abstain_threshold: float | None = Field(default=None, alias="TUTOR_ABSTAIN_THRESHOLD")
    uncovered_margin: float | None = Field(default=None, alias="TUTOR_UNCOVERED_MARGIN")
    log_level: str = Field(default="WARNING", alias="TUTOR_LOG_LEVEL")
    trusted_role_id: int | None = Field(default=None, alias="TUTOR_TRUSTED_ROLE_ID")

    output_dir: Path = Field(default=Path("out"), alias="TUTOR_OUTPUT_DIR")

    # Discord runtime limits
    tool_timeout_s: float = Field(default=60.0, gt=0, le=600, alias="TUTOR_TOOL_TIMEOUT_S")
    worker_processes: int = Field(default=0, ge=0, le=64, alias="TUTOR_WORKER_PROCESSES")  # 0: min(2, cores)
    worker_max_jobs: int = Field(default=50, ge=1, le=100_000, alias="TUTOR_WORKER_MAX_JOBS")
    queue_wait_s: float = Field(default=120.0, gt=0, le=780, alias="TUTOR_QUEUE_WAIT_S")
    cooldown_s: float = Field(default=2.0, ge=0, le=600, alias="TUTOR_COOLDOWN_S")
    heavy_cooldown_s: float = Field(default=10.0, ge=0, le=3600, alias="TUTOR_HEAVY_COOLDOWN_S")
    daily_check_s: float = Field(default=60.0, ge=1, le=3600, alias="TUTOR_DAILY_CHECK_S")
    guild_max_heavy: int = Field(default=3, ge=1, le=100, alias="TUTOR_GUILD_MAX_HEAVY")
    max_queued_heavy: int = Field(default=50, ge=1, le=1000, alias="TUTOR_MAX_QUEUED_HEAVY")

    # Discord at scale: unset = one gateway connection (plain Client); "auto" = as many shards as
    # Discord recommends (AutoShardedClient asks /gateway/bot); N = exactly N shards in this process.
    shards: str | None = Field(default=None, alias="TUTOR_SHARDS")
    # The privileged Message Content intent: lets the bot read forum posts' text (else their titles only).
    message_content_intent: bool = Field(default=False, alias="TUTOR_MESSAGE_CONTENT_INTENT")
    # Privacy: how long usage rows and saved /ask answers are kept
    retention_days: int = Field(default=90, ge=1, le=3650, alias="TUTOR_RETENTION_DAYS")

    # Optional LLM answers over any OpenAI-compatible server (unset base URL = extractive only)
    llm_base_url: str | None = Field(default=None, alias="LLM_BASE_URL")
    llm_model: str | None = Field(default=None, alias="LLM_MODEL")
    llm_api_key: SecretStr | None = Field(default=None, alias="LLM_API_KEY")
    llm_timeout_s: float = Field(default=30.0, gt=0, le=600, alias="LLM_TIMEOUT_S")
    llm_max_tokens: int = Field(default=600, ge=16, le=32_000, alias="LLM_MAX_TOKENS")
    llm_history_turns: int = Field(default=6, ge=0, le=50, alias="LLM_HISTORY_TURNS")

    @field_validator("shards")
    @classmethod
    def _shards(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if value in ("", "auto"):
            return value or None
        if not value.isdigit() or not 1 <= int(value) <= 1024:
            raise ValueError(f"TUTOR_SHARDS must be auto or a whole number from 1 to 1024, got {value!r}")
        return str(int(value))

    @property
    def shard_count(self) -> int | None:
        """``None``: let Discord decide (``auto``); otherwise the number of shards. Only meaningful
        when :attr:`sharded` is true."""
        return None if self.shards in (None, "auto") else int(self.shards)

    @property
    def sharded(self) -> bool:
        return self.shards is not None
    @model_validator(mode="after")
    def _reply_before_the_token_expires(self) -> "Settings":
        """A Discord interaction token lasts 15 minutes: waiting for a worker plus the demo itself
        must leave time to send the reply."""
        if self.queue_wait_s + self.tool_timeout_s > INTERACTION_BUDGET_S:
            raise ValueError(f"TUTOR_QUEUE_WAIT_S + TUTOR_TOOL_TIMEOUT_S is {self.queue_wait_s + self.tool_timeout_s:g} s; "
                             f"it must be at most {INTERACTION_BUDGET_S:g} s (Discord's interaction token "
                             "lasts 15 minutes)")
        return self

    # What lives in data_dir: the article index, the chat records, the notes and their indexes.
    index_dir = property(lambda self: self.data_dir / "index")
    database_path = property(lambda self: self.data_dir / "tutor.db")
    notes_db_path = property(lambda self: self.data_dir / "notes.db")
    notes_index_dir = property(lambda self: self.data_dir / "notes")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

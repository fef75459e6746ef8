"""Retention: old records are pruned when the bot starts and once a day after that.

What is pruned, and how old is too old, is the services' business (``services.prune()``:
``tutor.db`` answers and usage past ``TUTOR_RETENTION_DAYS``, the gap log past its per-server
cap); this module only schedules it, off the event loop, and never lets a failure stop the bot.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

PRUNE_INTERVAL_S = 24 * 3600.0


async def prune_daily(services: Any, interval_s: float = PRUNE_INTERVAL_S) -> None:
    """Run ``services.prune()`` now and every ``interval_s`` until cancelled."""
    while True:
        try:
            counts = await asyncio.to_thread(services.prune)
            if any(counts.values()):
                log.info("retention: pruned %s", counts)
        except Exception:  # a locked or closed database: try again tomorrow
            log.exception("retention: pruning failed")
        await asyncio.sleep(interval_s)

"""Start-up: settings, config, content, catalogs and the store, opened once and closed once."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import build_conversation, utc_now
from bot.checks import check_everything, fingerprint
from bot.conversation import Clock, Conversation
from bot.settings import Settings
from bot.store import Keys, Store

log = logging.getLogger(__name__)

CHECKED_MARKER = "content-checked"


@dataclass
class Runtime:
    settings: Settings
    keys: Keys
    store: Store
    conversation: Conversation


@asynccontextmanager
async def open_runtime(settings: Settings, clock: Clock = utc_now) -> AsyncIterator[Runtime]:
    # The exhaustive checks run again only when config, content, translations or code changed
    # since they last passed here (`python -m bot content check` always runs them all).
    marker = settings.data_dir / CHECKED_MARKER
    current = fingerprint(settings.config_path, settings.content_dir)
    thorough = not marker.exists() or marker.read_text() != current
    checked = await check_everything(settings.config_path, settings.content_dir, thorough=thorough)
    if thorough:
        marker.write_text(current)
    for warning in checked.warnings:
        log.warning("content_review_due %s", warning)
    if checked.config.example_data:
        log.warning(
            "config_is_example_data path=%s (check it before real use)", settings.config_path
        )
    keys = Keys(settings.secret_key)
    store = await Store.open(settings.database_path, keys)
    try:
        previous = Keys(settings.previous_secret_key) if settings.previous_secret_key else None
        if previous is not None:
            resealed = await store.reseal_all(previous)
            log.warning("key_rotation resealed=%d (remove BOT_SECRET_KEY_PREVIOUS later)", resealed)
        conversation = build_conversation(
            store, keys, checked.config, checked.content, checked.catalogs, checked.matcher, clock
        )
        conversation.previous_keys = previous
        conversation.settings = settings
        # Content, keywords and catalogs live as long as the process: moved out of the
        # collector's sight, a full collection no longer walks them (it paused a typed
        # question for 20 ms, four times the matching budget; see BENCHMARKS.md).
        gc.collect()
        gc.freeze()
        yield Runtime(settings, keys, store, conversation)
    finally:
        gc.unfreeze()  # a process that opens runtimes again (the tests) collects them as usual
        await store.close()

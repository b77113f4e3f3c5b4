"""Parapluie: a confidential health and rights chatbot for sex workers."""

import os

# python-telegram-bot 22 gives durations (RetryAfter.retry_after, auto-delete timers) as
# numbers with a deprecation warning, or as timedelta once PTB_TIMEDELTA is set: the form its
# next major version makes the only one, which the bot reads (bot/channels/telegram_api.py).
os.environ.setdefault("PTB_TIMEDELTA", "1")

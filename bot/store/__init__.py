"""Persistent storage: one SQLite file, pseudonymous keys, encrypted reply addresses."""

from bot.store.crypto import Keys
from bot.store.database import Profile, Store

__all__ = ["Keys", "Profile", "Store"]

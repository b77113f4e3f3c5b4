"""Schema versions, applied in order at start-up; PRAGMA user_version records the last one.

Never edit a released migration: add the next one.
"""

MIGRATIONS: list[str] = [
    # 1: people, under a keyed pseudonym only. `address` is the sealed reply address (for
    # Telegram the private chat id); days rather than timestamps because that is all the
    # retention rules need.
    """
    CREATE TABLE users (
        user_key   TEXT PRIMARY KEY,
        channel    TEXT NOT NULL,
        address    BLOB NOT NULL,
        language   TEXT NOT NULL,
        state      TEXT NOT NULL DEFAULT '{}',
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL
    ) STRICT;
    """,
]

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
    # 2: appointments. A person is linked by pseudonym only; the nickname is sealed. The
    # booking code is what the person gives at the desk. `request_id` makes a replayed
    # confirmation button book nothing. Counters for the annual report hold no user key.
    """
    CREATE TABLE appointments (
        id          INTEGER PRIMARY KEY,
        code        TEXT NOT NULL UNIQUE,
        user_key    TEXT NOT NULL,
        type        TEXT NOT NULL,
        location    TEXT NOT NULL,
        starts_at   TEXT NOT NULL,
        language    TEXT NOT NULL,
        nickname    BLOB,
        status      TEXT NOT NULL DEFAULT 'booked',
        reminders   INTEGER NOT NULL DEFAULT 0,
        detailed    INTEGER NOT NULL DEFAULT 0,
        request_id  TEXT UNIQUE,
        created_at  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX appointments_by_slot ON appointments (type, location, starts_at, status);
    CREATE INDEX appointments_by_person ON appointments (user_key, status, starts_at);
    CREATE TABLE reminders (
        id             INTEGER PRIMARY KEY,
        appointment_id INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
        due_at         TEXT NOT NULL,
        sent_at        TEXT,
        UNIQUE (appointment_id, due_at)
    ) STRICT;
    CREATE INDEX reminders_due ON reminders (sent_at, due_at);
    CREATE TABLE booking_counts (
        month    TEXT NOT NULL,
        type     TEXT NOT NULL,
        location TEXT NOT NULL,
        event    TEXT NOT NULL,
        count    INTEGER NOT NULL,
        PRIMARY KEY (month, type, location, event)
    ) STRICT;
    CREATE TABLE bot_settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    """,
    # 3: talking to a person. A ticket links a pseudonym ("Iris-42") to a person's key; the
    # outbox holds what still has to be relayed (sealed references to messages, never their
    # text), deleted once delivered; `delivered` keeps keyed hashes of relayed messages so a
    # message seen again after a crash is not relayed twice; `staff_messages` maps messages in
    # the staff chat to their ticket for reply threading.
    """
    CREATE TABLE tickets (
        id            INTEGER PRIMARY KEY,
        user_key      TEXT NOT NULL,
        pseudonym     TEXT NOT NULL,
        language      TEXT NOT NULL,
        subject       TEXT,
        status        TEXT NOT NULL DEFAULT 'open',
        thread_id     INTEGER,
        opened_at     TEXT NOT NULL,
        closed_at     TEXT,
        waiting_since TEXT,
        rating        INTEGER
    ) STRICT;
    CREATE INDEX tickets_by_person ON tickets (user_key, status);
    CREATE INDEX tickets_by_thread ON tickets (thread_id);
    CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY,
        ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        direction  TEXT NOT NULL,
        payload    BLOB NOT NULL,
        source     TEXT NOT NULL UNIQUE,
        attempts   INTEGER NOT NULL DEFAULT 0,
        not_before TEXT NOT NULL
    ) STRICT;
    CREATE TABLE delivered (
        source    TEXT PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE
    ) STRICT;
    CREATE TABLE staff_messages (
        message_id INTEGER PRIMARY KEY,
        ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE
    ) STRICT;
    """,
    # 4: where a person's relayed message landed in the staff chat (by keyed hash), so an
    # edit can follow it; staff signatures, by keyed hash of the staff member's account.
    """
    CREATE TABLE relay_copies (
        source           TEXT PRIMARY KEY,
        staff_message_id INTEGER NOT NULL,
        ticket_id        INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE
    ) STRICT;
    CREATE TABLE staff_signatures (
        staff_key TEXT PRIMARY KEY,
        signature TEXT NOT NULL
    ) STRICT;
    """,
    # 5: the message ids of the last 48 hours of each chat, for the quick exit (/clear):
    # Telegram lets a bot delete messages up to 48 hours old, and nothing older is kept.
    """
    CREATE TABLE chat_messages (
        user_key   TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        at         TEXT NOT NULL,
        PRIMARY KEY (user_key, message_id)
    ) STRICT;
    """,
    # 6: keyed hashes of messages already handled, for platforms that may deliver a message
    # again after a reconnection (Signal); nothing in them leads back to a person. And the
    # index that finds a free pseudonym among many open conversations.
    """
    CREATE TABLE seen_messages (
        key TEXT PRIMARY KEY,
        at  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX seen_messages_by_age ON seen_messages (at);
    CREATE INDEX tickets_by_pseudonym ON tickets (pseudonym, status);
    """,
    # 7: notices for the staff chat (bookings, cancellations) waiting to be posted: the group
    # takes about 20 messages a minute, and a restart must not lose them. Sealed; deleted once
    # posted.
    """
    CREATE TABLE staff_notices (
        key  TEXT PRIMARY KEY,
        text BLOB NOT NULL,
        at   TEXT NOT NULL
    ) STRICT;
    """,
    # 8: safety at the edges. `held`: a team message waiting for a person who used the quick
    # exit, delivered only once they write again. Staff notices can go to a conversation's
    # topic and close it (a person who was forgotten). `gone_threads`: topics of conversations
    # deleted by /forget or the retention purge, so staff writing there are told the person
    # can no longer be reached; a topic id leads to nobody.
    """
    ALTER TABLE outbox ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE staff_notices ADD COLUMN thread_id INTEGER;
    ALTER TABLE staff_notices ADD COLUMN closing INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE gone_threads (
        thread_id INTEGER PRIMARY KEY,
        at        TEXT NOT NULL
    ) STRICT;
    """,
    # 9: staff can block a person from the team for a while (/block). Kept on the person's
    # conversations, so it is deleted with them (/forget, the retention purge) and names
    # nobody; `block_told` makes the person hear of it once, not at every message.
    """
    ALTER TABLE tickets ADD COLUMN blocked_until TEXT;
    ALTER TABLE tickets ADD COLUMN block_told INTEGER NOT NULL DEFAULT 0;
    """,
    # 10: Signal's seen-message hashes carry the person's pseudonym, so /forget removes them
    # (older rows, without it, age out within hours).
    """
    ALTER TABLE seen_messages ADD COLUMN user_key TEXT;
    CREATE INDEX seen_messages_by_person ON seen_messages (user_key);
    """,
]

"""Key rotation: re-seal everything with the new key; rename people as they come back.

Sealed values are re-encrypted at start-up in one transaction. Pseudonyms cannot be: they are
HMACs of platform ids the bot never stored. So while BOT_SECRET_KEY_PREVIOUS is set, a person
not found under the new pseudonym is looked up under the old one and renamed everywhere.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag

from bot.store.base import StoreBase
from bot.store.crypto import SEALED_TEXT, Keys

# Tables that hold a person's key.
PERSON_TABLES = ("users", "appointments", "tickets", "chat_messages", "seen_messages")


class RotationQueries(StoreBase):
    async def reseal_all(self, previous: Keys) -> int:
        """Re-encrypt every sealed value written with `previous`; values already under the
        current key are left alone, so running it twice is harmless."""
        changed = 0
        async with self.transaction():
            for table, key_column, sealed_column in (
                ("users", "user_key", "address"),
                ("appointments", "code", "nickname"),
                ("outbox", "source", "payload"),
                ("staff_notices", "key", "text"),
            ):
                async with self._db.execute(
                    f"SELECT rowid, {key_column}, {sealed_column} FROM {table} "
                    f"WHERE {sealed_column} IS NOT NULL"
                ) as cursor:
                    rows = [tuple(row) async for row in cursor]
                for rowid, bound_to, sealed in rows:
                    try:
                        self._keys.unseal(sealed, bound_to)
                        continue  # already under the current key
                    except InvalidTag:
                        plain = previous.unseal(sealed, bound_to)
                    await self._db.execute(
                        f"UPDATE {table} SET {sealed_column} = ? WHERE rowid = ?",
                        (self._keys.seal(plain, bound_to), rowid),
                    )
                    changed += 1
            # The conversation state, sealed as text.
            async with self._db.execute("SELECT user_key, state FROM users") as cursor:
                states = [tuple(row) async for row in cursor]
            for user_key, stored in states:
                try:
                    plain = self._keys.unseal_text(stored, user_key)
                    if stored.startswith(SEALED_TEXT):
                        continue  # already under the current key
                except InvalidTag:
                    plain = previous.unseal_text(stored, user_key)
                await self._db.execute(
                    "UPDATE users SET state = ? WHERE user_key = ?",
                    (self._keys.seal_text(plain, user_key), user_key),
                )
                changed += 1
        return changed

    async def rename_person(self, old_key: str, new_key: str) -> bool:
        """Move a person from their old pseudonym to the new one, everywhere, at once."""
        async with self.transaction():
            async with self._db.execute(
                "SELECT address, state FROM users WHERE user_key = ?", (old_key,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            address = self._keys.unseal(row[0], old_key)
            state = self._keys.unseal_text(row[1], old_key)
            for table in PERSON_TABLES:
                await self._db.execute(
                    f"UPDATE {table} SET user_key = ? WHERE user_key = ?", (new_key, old_key)
                )
            # The address is bound to the person's key: seal it again under the new one.
            await self._db.execute(
                "UPDATE users SET address = ?, state = ? WHERE user_key = ?",
                (self._keys.seal(address, new_key), self._keys.seal_text(state, new_key), new_key),
            )
        return True

"""Staff can block a person from the team for a while: `/block [days]` and `/unblock`, in
the conversation's topic (or as a reply to one of its messages).

A blocked person's messages do not reach the team. They hear of it once, in neutral words
with the emergency numbers (the block may come from abuse, but also from a misunderstanding,
and the person may still be in danger); after that, what they write is not relayed, and an
urgent disclosure still gets the urgent steps at once. The block ends by itself after
`staff.block_days` (or the days given); it is kept on the person's conversations, so /forget
and the retention purge remove it with them.
"""

from __future__ import annotations

from datetime import timedelta

from bot.conversation import Conversation, Reply, Turn, escape
from bot.dates import staff_when
from bot.handlers.places import emergency_block, menu_row
from bot.handlers.urgent import urgent_answer
from bot.i18n import _, use_language
from bot.store.tickets import Ticket

MAX_BLOCK_DAYS = 365


async def block_person(conversation: Conversation, ticket: Ticket, args: str) -> str:
    """The staff command; the answer to post in the topic."""
    config, store, now = conversation.config, conversation.store, conversation.clock()
    with use_language(conversation.catalogs, config.default_language):
        days = config.staff.block_days
        if args.strip():
            if not args.strip().isdecimal() or not 1 <= int(args) <= MAX_BLOCK_DAYS:
                return escape(_("Give a number of days from 1 to 365, for example /block 7."))
            days = int(args)
        until = now + timedelta(days=days)
        await store.block(ticket.id, until)
        return "⛔ " + escape(
            _(
                "{pseudonym} is blocked until {when}: their messages no longer reach the team. "
                "/unblock lifts it."
            ).format(
                pseudonym=ticket.pseudonym,
                when=staff_when(until, config.default_language, config.zone),
            )
        )


async def unblock_person(conversation: Conversation, ticket: Ticket) -> str:
    lifted = await conversation.store.unblock(ticket.id)
    with use_language(conversation.catalogs, conversation.config.default_language):
        if not lifted:
            return escape(_("{pseudonym} is not blocked.").format(pseudonym=ticket.pseudonym))
        return "✓ " + escape(
            _("{pseudonym} is unblocked: their messages reach the team again.").format(
                pseudonym=ticket.pseudonym
            )
        )


async def blocked_answer(turn: Turn) -> list[Reply] | None:
    """None when the person may write to the team; otherwise what they get instead."""
    store = turn.store
    if await store.blocked_until(turn.profile.user_key, turn.now) is None:
        return None
    text = turn.event.text
    urgent = urgent_answer(turn, text) if text else None
    replies = [urgent] if urgent else []
    if await store.tell_of_block(turn.profile.user_key, turn.now):
        notice = (
            escape(_("The team cannot receive your messages for now."))
            + "\n\n"
            + escape(_("If you are in danger, do not wait:"))
            + "\n"
            + emergency_block(turn)
        )
        replies.append(Reply(notice, [menu_row()]))
    return replies

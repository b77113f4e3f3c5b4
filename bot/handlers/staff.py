"""Staff commands, accepted only in the staff chat: /agenda [date], /done CODE, /missed CODE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.agenda import agenda_text, period
from bot.booking import normalise_code
from bot.config import Config
from bot.conversation import Attachment, Conversation, Reply, escape, render_markup
from bot.handlers.talk import rating_prompt
from bot.i18n import Catalogs, _, use_language
from bot.outbound import EXITED
from bot.store.privacy import GoneConversation
from bot.store.tickets import StaffNotice, Ticket


def parse_day(text: str, today: date) -> date | None:
    text = text.strip().lower()
    if not text:
        return today
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m", "%d.%m.%Y", "%d.%m"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return parsed.replace(year=today.year) if "%Y" not in pattern else parsed
    return None


async def staff_command(conversation: Conversation, command: str, args: str) -> str | None:
    """The answer to post in the staff chat, or None for commands that are not staff's.
    Commands about one conversation (/close, /send) are handled where the ticket is known."""
    config, store = conversation.config, conversation.store
    now = conversation.clock()
    today = now.astimezone(config.zone).date()
    with use_language(conversation.catalogs, config.default_language):
        if command == "agenda":
            day = parse_day(args, today)
            if day is None:
                return escape(_("Give a date like 2026-11-24 or 24/11."))
            start, end = period(config, day, 1)
            return agenda_text(config, await store.agenda(start, end), day, 1)
        if command in {"done", "missed"}:
            code = normalise_code(args)
            marked = await store.mark(code, command, now)
            if marked is None:
                return escape(
                    _("No booked appointment with the code {code}.").format(code=code or "?")
                )
            if command == "done":
                return "✓ " + escape(_("{code} marked as done.").format(code=code))
            return "✗ " + escape(_("{code} marked as missed.").format(code=code))
    if command == "tickets":
        return await tickets_text(conversation)
    if command == "status" and conversation.settings is not None:
        # Imported here: the doctor loads the content checks, which load the handlers.
        from bot.doctor import run_checks, short_status

        with use_language(conversation.catalogs, config.default_language):
            # What this bot serves, not the files again; and it is connected to signal-cli,
            # so asking signal-cli takes no message from it.
            loaded = (config, conversation.content)
            checks = await run_checks(conversation.settings, today, loaded, serving=True)
            return escape(short_status(checks))
    return None


# --- conversations with people (tickets) ---------------------------------------------------
def reply_payload(reply: Reply) -> dict[str, Any]:
    """A reply queued for a person: its text and buttons, nothing that names them."""
    return {
        "kind": "reply",
        "text": reply.text,
        "options": [[[o.label, o.action] for o in row if o.action] for row in reply.options],
    }


@dataclass(frozen=True)
class StaffMessage:
    """A message a staff member wrote in a conversation's topic: where it lives, and, for a
    person on another platform, what it holds (its text and the staff platform's files)."""

    channel: str
    message_id: int
    staff_key: str
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()


async def relay_from_staff(
    conversation: Conversation, ticket: Ticket, message: StaffMessage
) -> str | None:
    """To a person on the staff chat's platform the message is copied (no origin shown);
    to anyone else its text and files are sent by the bot. A staff member with a signature
    has their text replies sent with it. Returns what to tell the team, if anything."""
    store = conversation.store
    text = message.text
    signature = (
        await store.signature(message.staff_key) if text and not message.attachments else None
    )
    profile = await store.load_profile(ticket.user_key)
    payload: dict[str, Any] = {"kind": "copy", "message_id": message.message_id}
    if signature and text:
        payload = {
            "kind": "reply",
            "text": f"{escape(text)}\n\n— {escape(signature)}",
            "options": [],
        }
    elif profile is not None and profile.channel != message.channel:
        payload = {
            "kind": "files",
            "text": escape(text or ""),
            "attachments": [a.as_payload() for a in message.attachments],
        }
    return await _to_person(conversation, ticket, payload, ("staff", str(message.message_id)))


async def _to_person(
    conversation: Conversation, ticket: Ticket, payload: dict[str, Any], ref: tuple[str, ...]
) -> str | None:
    """Everything staff send a person goes through here. Nothing reaches a person who ended
    the conversation; a person who used the quick exit gets it only once they write again;
    in discreet mode a neutral line rings first. Returns what to tell the team, if anything."""
    store = conversation.store
    profile = await store.load_profile(ticket.user_key)
    held = profile is not None and bool(profile.state.get(EXITED))
    with use_language(conversation.catalogs, conversation.config.default_language):
        if profile is None:
            return "⚠️ " + escape(_("Not delivered: this person can no longer be reached."))
        if ticket.status != "open" and not held:
            return "⚠️ " + escape(
                _(
                    "Not delivered: {pseudonym} ended this conversation. "
                    "It reaches them again only if they write."
                ).format(pseudonym=ticket.pseudonym)
            )
        answer = (
            "⏸ "
            + escape(
                _(
                    "Held: {pseudonym} used the quick exit. Your message is delivered only "
                    "when they write again."
                ).format(pseudonym=ticket.pseudonym)
            )
            if held
            else None
        )
    now = conversation.clock()
    if conversation.config.discreet:
        # A notification preview shows the start of a message: the first line says nothing,
        # and the message itself comes without a notification where the platform allows.
        with use_language(conversation.catalogs, ticket.language):
            first = reply_payload(Reply("🔔 " + escape(_("You have a new message."))))
        neutral = store.source_key("neutral", *ref)
        await store.enqueue(ticket.id, "to_person", first, neutral, now, held=held)
        payload = {**payload, "silent": True}
    await store.enqueue(ticket.id, "to_person", payload, store.source_key(*ref), now, held=held)
    return answer


def gone_notice(
    catalogs: Catalogs, config: Config, gone: GoneConversation, reason: str
) -> StaffNotice:
    """Closes the topic of a person who can no longer be reached, saying why."""
    with use_language(catalogs, config.default_language):
        if reason == "forgotten":
            text = _(
                "{pseudonym} deleted their data (/forget): they can no longer be reached, and "
                "the bot keeps nothing of this conversation."
            )
        else:
            text = _(
                "This conversation with {pseudonym} was deleted under the retention rules: "
                "they can no longer be reached from here."
            )
    return StaffNotice(
        "🗑 " + escape(text.format(pseudonym=gone.pseudonym)), gone.thread_id, closing=True
    )


def unreachable_text(conversation: Conversation) -> str:
    with use_language(conversation.catalogs, conversation.config.default_language):
        return "⚠️ " + escape(_("Not delivered: the person of this topic can no longer be reached."))


async def set_signature(conversation: Conversation, staff_key: str, name: str) -> str:
    name = " ".join(name.split())[:30]
    await conversation.store.set_signature(staff_key, name or None)
    with use_language(conversation.catalogs, conversation.config.default_language):
        if name:
            return escape(_("Your replies will be signed: — {name}").format(name=name))
        return escape(_("Your replies will not be signed."))


async def close_conversation(conversation: Conversation, ticket: Ticket) -> str:
    store, now = conversation.store, conversation.clock()
    closed = await store.close_ticket(ticket.id, now)
    with use_language(conversation.catalogs, ticket.language):
        prompt = rating_prompt(
            ticket.id, _("The team closed this conversation. You can write again at any time.")
        )
    if closed is not None:
        source = store.source_key("closed", str(ticket.id), now.isoformat())
        await store.enqueue(ticket.id, "to_person", reply_payload(prompt), source, now)
        await conversation.stop_talking(ticket.user_key)
    with use_language(conversation.catalogs, conversation.config.default_language):
        return "✓ " + escape(
            _("{pseudonym}: conversation closed.").format(pseudonym=ticket.pseudonym)
        )


async def send_topic(conversation: Conversation, ticket: Ticket, topic_id: str) -> str:
    """Official wording in the person's language: the topic's short answer."""
    content = conversation.content
    text = content.topic(ticket.language, topic_id)
    with use_language(conversation.catalogs, conversation.config.default_language):
        if text is None:
            known = ", ".join(content.index.topics)
            return escape(_("Unknown topic. Known topics: {topics}.").format(topics=known))
        now = conversation.clock()
        reply = Reply(f"<b>{escape(text.title)}</b>\n\n{render_markup(text.short)}")
        ref = ("sent", str(ticket.id), topic_id, now.isoformat())
        refused = await _to_person(conversation, ticket, reply_payload(reply), ref)
        if refused is not None and not refused.startswith("⏸"):
            return refused
        sent = "✓ " + escape(
            _("Sent to {pseudonym}: {title}").format(pseudonym=ticket.pseudonym, title=text.title)
        )
        return sent if refused is None else f"{sent}\n{refused}"


async def tickets_text(conversation: Conversation) -> str:
    now = conversation.clock()
    with use_language(conversation.catalogs, conversation.config.default_language):
        tickets = await conversation.store.open_tickets()
        if not tickets:
            return escape(_("No open conversations."))
        lines = ["<b>" + escape(_("Open conversations")) + "</b>"]
        for ticket in tickets:
            if ticket.waiting_since is not None:
                minutes = int((now - ticket.waiting_since).total_seconds() // 60)
                waiting = _("waiting for {minutes} min").format(minutes=minutes)
            else:
                waiting = _("answered")
            subject = f" · {ticket.subject}" if ticket.subject else ""
            who = f"<b>{escape(ticket.pseudonym)}</b> · {ticket.language.upper()}"
            lines.append(f"• {who}{escape(subject)} · {escape(waiting)}")
        return "\n".join(lines)

"""Talking to a person: the person's side of the anonymous relay.

The person is told first what the team will and will not see, and when the team answers.
Everything they then write is queued in the persistent outbox (bot/relay.py delivers it to the
staff chat under a pseudonym), until the conversation is closed by staff or by the person.
"""

from __future__ import annotations

from typing import Any

from bot.config import opening_status
from bot.conversation import Option, Reply, StaleAction, Turn, escape, has_buttons
from bot.handlers.blocking import blocked_answer
from bot.handlers.places import emergency_block, menu_row, status_line
from bot.handlers.urgent import urgent_answer
from bot.i18n import _
from bot.outbound import EXITED
from bot.store.tickets import Ticket

AWAITING = "talk"


def _subject(turn: Turn) -> str | None:
    topic = turn.profile.state.get("last_topic")
    return topic if isinstance(topic, str) else None


def _hours_note(turn: Turn) -> list[str]:
    hours = turn.config.staff.hours
    if hours.is_empty():
        return []
    status = opening_status(hours, turn.now, turn.zone)
    if status.open_now:
        return [escape(_("The team is there now and answers as soon as it can."))]
    return [
        escape(_("The team is not there now.")) + " " + status_line(turn, hours),
        escape(_("If you are in danger, do not wait:")) + "\n" + emergency_block(turn),
    ]


def no_team(turn: Turn) -> Reply:
    """Without a staff group (the terminal, or a bot set up without one), nobody would read a
    message: the person is told so, with the organisation's phones and the emergency
    numbers, rather than "Sent"."""
    turn.profile.state.pop("awaiting", None)
    phones = [
        f"<b>{escape(place.name)}</b>: ☎ {escape(' · '.join(place.phones))}"
        for place in turn.config.locations
        if place.phones
    ]
    lines = [
        "<b>" + escape(_("Nobody from the team reads this chat.")) + "</b>",
        escape(_("To talk to a person, call or text the team:")) + "\n" + "\n".join(phones),
        escape(_("If you are in danger, do not wait:")) + "\n" + emergency_block(turn),
    ]
    if not phones:
        del lines[1]
    return Reply("\n\n".join(lines), [menu_row()], replace=turn.event.action is not None)


async def offer_talk(turn: Turn, args: list[str]) -> list[Reply]:
    """Before writing anything: what the team sees, what it never sees, when it answers."""
    if not turn.team_reachable:
        return [no_team(turn)]
    lines = [
        "<b>" + escape(_("Talk to a person from the team")) + "</b>",
        escape(_("The team will see a nickname made up for you (like Iris-42)."))
        + " "
        + escape(_("It also sees your language and the topic you came from.")),
        escape(_("The team never sees your name, your username, your phone number or account.")),
        *_hours_note(turn),
    ]
    options = [[Option("✍️ " + _("Write to the team"), "tk:start")], menu_row()]
    return [Reply("\n\n".join(lines), options, replace=turn.event.action is not None)]


async def _open(turn: Turn) -> Ticket:
    ticket = await turn.store.open_ticket(
        turn.profile.user_key, turn.lang, _subject(turn), turn.now, turn.config.staff.reopen_hours
    )
    turn.profile.state["awaiting"] = AWAITING
    turn.profile.state["ticket"] = ticket.id
    return ticket


def _talking(turn: Turn, text: str, with_menu: bool = False) -> Reply:
    """A reply while the person writes to the team. Everything typed goes to the team, numbers
    included, so leaving is a button (Telegram) or the /end command, never a number."""
    if not has_buttons(turn.event.person):
        end = _("To end the conversation, send /end.")
        return Reply(f"{text}\n\n{escape(end)}")
    rows = [[Option("✖ " + _("End the conversation"), "tk:end")]]
    return Reply(text, [*rows, menu_row()] if with_menu else rows)


async def start_talking(turn: Turn, args: list[str]) -> list[Reply]:
    if not turn.team_reachable:  # an old button, from before the staff group was removed
        return [no_team(turn)]
    ticket = await _open(turn)
    write = _("Write your message now. You can also send a photo or a voice message.")
    seen = _("The team sees you as {pseudonym}.").format(pseudonym=ticket.pseudonym)
    return [_talking(turn, escape(f"{write} {seen}"), with_menu=True)]


async def typed_after_offer(turn: Turn) -> list[Reply] | None:
    """Text typed under the offer, instead of pressing "write to the team": it is meant for the
    team, and the offer just said what the team sees, so it goes to the team at once (asking
    to confirm would cost a person in a hurry one more step)."""
    if not turn.team_reachable:
        return None  # the offer showed phones instead: the text is a question for the bot
    ticket = await _open(turn)
    replies = await relay_from_person(turn, confirm=True)
    seen = escape(_("The team sees you as {pseudonym}.").format(pseudonym=ticket.pseudonym))
    replies[-1].text = f"{seen} {replies[-1].text}"
    return replies


async def _current_ticket(turn: Turn) -> Ticket | None:
    ticket_id = turn.profile.state.get("ticket")
    if not isinstance(ticket_id, int):
        return None
    ticket = await turn.store.ticket(ticket_id)
    if ticket is None or ticket.user_key != turn.profile.user_key:
        return None
    return ticket


async def relay_from_person(turn: Turn, confirm: bool = False) -> list[Reply]:
    """A message written while talking: queued for the team before anything is answered.
    The first of a conversation (or any, with `confirm`) is confirmed with "Sent"."""
    blocked = await blocked_answer(turn)  # staff used /block: nothing reaches the team
    if blocked is not None:
        return blocked
    if not turn.team_reachable:  # the staff group was removed from the configuration
        urgent = urgent_answer(turn, turn.event.text) if turn.event.text else None
        return [urgent, no_team(turn)] if urgent else [no_team(turn)]
    ticket = await _current_ticket(turn)
    if ticket is None or ticket.status != "open":
        # Closed by staff meanwhile: the same conversation comes back if it is recent enough.
        ticket = await turn.store.open_ticket(
            turn.profile.user_key,
            turn.lang,
            _subject(turn),
            turn.now,
            turn.config.staff.reopen_hours,
        )
        turn.profile.state["ticket"] = ticket.id
    event = turn.event
    person = event.person
    ref = event.message_ref or turn.now.isoformat()
    source = turn.store.source_key(person.channel, person.address, ref)
    payload: dict[str, Any]
    if event.copyable and event.message_ref is not None:
        payload = {
            "kind": "copy",
            "chat": person.address,
            "message_id": event.message_ref,
            "source": source,  # so an edit can find where the copy landed
        }
    else:
        # A platform the staff chat cannot copy from: the text (sealed in the outbox until
        # delivered) and references to the platform's files, fetched at delivery.
        payload = {
            "kind": "text",
            "text": event.text or "",
            "attachments": [a.as_payload() for a in event.attachments],
            "channel": person.channel,
            "source": source,
        }
    first = ticket.waiting_since is None
    await turn.store.enqueue(ticket.id, "to_staff", payload, source, turn.now)
    # The team may be closed or busy: a disclosure gets the urgent steps now, as well as
    # going to the team.
    urgent = urgent_answer(turn, event.text) if event.text else None
    if not first and not confirm:
        return [urgent] if urgent else []
    lines = [escape(_("Sent. The team will answer here."))]
    if (
        not opening_status(turn.config.staff.hours, turn.now, turn.zone).open_now
        and not turn.config.staff.hours.is_empty()
    ):
        lines += _hours_note(turn)[0:1]
    sent = _talking(turn, "\n\n".join(lines))
    return [urgent, sent] if urgent else [sent]


async def conversation_action(turn: Turn, args: list[str]) -> list[Reply]:
    """`tk:start` and `tk:end`."""
    if args == ["start"]:
        return await start_talking(turn, [])
    if args == ["end"]:
        return await end_talking(turn, [])
    raise StaleAction


async def _close(turn: Turn, kind: str) -> Ticket | None:
    """Closes the person's open conversation, if any, and tells the team how it ended."""
    turn.profile.state.pop("awaiting", None)
    ticket = await turn.store.latest_ticket_for(turn.profile.user_key)
    if ticket is not None and ticket.status == "open":
        await turn.store.close_ticket(ticket.id, turn.now)
        if ticket.thread_id is None and ticket.waiting_since is None:
            return ticket  # nothing was written: the team never saw this conversation
        source = turn.store.source_key(kind, str(ticket.id), turn.now.isoformat())
        await turn.store.enqueue(ticket.id, "to_staff", {"kind": kind}, source, turn.now)
    return ticket


async def end_for_safety(turn: Turn) -> None:
    """The quick exit: the conversation with the team ends, the team is told not to write
    first, and anything the team sends waits until the person writes again."""
    await _close(turn, "exited")
    await turn.store.hold_for_person(turn.profile.user_key)
    turn.profile.state[EXITED] = True


async def end_talking(turn: Turn, args: list[str]) -> list[Reply]:
    ticket = await _close(turn, "ended")
    if ticket is None or ticket.status != "open":  # an old button, or /end typed twice
        text = escape(_("You are not in a conversation with the team."))
        return [Reply(text, [menu_row()], replace=turn.event.action is not None)]
    return [
        rating_prompt(
            ticket.id if ticket else 0,
            _("The conversation is closed. You can write again at any time."),
        )
    ]


def rating_prompt(ticket_id: int, intro: str) -> Reply:
    text = escape(intro) + "\n\n" + escape(_("How helpful was it? (1 = not at all, 5 = very)"))
    stars = [Option(str(n), f"rate:{ticket_id}:{n}") for n in range(1, 6)]
    return Reply(text, [stars, menu_row()])


async def rate(turn: Turn, args: list[str]) -> list[Reply]:
    if len(args) != 2 or not args[0].isdecimal() or args[1] not in {"1", "2", "3", "4", "5"}:
        raise StaleAction
    if not await turn.store.rate_ticket(int(args[0]), turn.profile.user_key, int(args[1])):
        raise StaleAction
    return [Reply(escape(_("Thank you.")), [menu_row()], replace=True)]


async def relay_edit(conversation: Any, person: Any, message_ref: str, new_text: str) -> bool:
    """The person edited a message relayed to the team: the team's copy follows the edit.
    A message still in the outbox, or being delivered at this very moment, has no copy on
    record yet: the edit is queued behind it and finds the copy when its turn comes."""
    store = conversation.store
    source = store.source_key(person.channel, person.address, message_ref)
    found = await store.copy_of(source)
    payload: dict[str, Any]
    if found is not None:
        ticket_id, staff_message_id = found
        payload = {"kind": "edit", "staff_message_id": staff_message_id, "text": new_text}
    else:
        pending = await store.pending_ticket_of(source)
        if pending is None:
            return False  # never relayed (written before the conversation with the team)
        ticket_id = pending
        payload = {"kind": "edit", "of": source, "text": new_text}
    now = conversation.clock()
    edit_source = store.source_key(
        person.channel, person.address, message_ref, "edit", now.isoformat()
    )
    return bool(await store.enqueue(ticket_id, "to_staff", payload, edit_source, now))

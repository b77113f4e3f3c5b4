"""/privacy explains what is kept; /forget removes everything about the person."""

from __future__ import annotations

from bot.conversation import Option, Reply, Turn, escape
from bot.handlers.booking import staff_notice
from bot.handlers.places import menu_row
from bot.handlers.staff import gone_notice
from bot.handlers.talk import end_for_safety
from bot.handlers.topics import show_topic
from bot.i18n import _


async def explain(turn: Turn, args: list[str]) -> list[Reply]:
    replies = await show_topic(turn, ["privacy"])
    replies[0].options.insert(0, [Option("🗑 " + _("Delete everything about me"), "fg")])
    return replies


async def ask_forget(turn: Turn, args: list[str]) -> list[Reply]:
    text = "\n\n".join(
        [
            "<b>" + escape(_("Delete everything the bot keeps about you?")) + "</b>",
            escape(
                _(
                    "Your language and settings, your appointments (the team is told they are "
                    "cancelled) and your conversations with the team. This cannot be undone."
                )
            ),
        ]
    )
    options = [[Option("🗑 " + _("Yes, delete everything"), "fg:yes")], menu_row()]
    return [Reply(text, options, replace=turn.event.action is not None)]


async def forget(turn: Turn, args: list[str]) -> list[Reply]:
    """Clears the chat as the quick exit does, then forgets. The last word names nothing that
    was deleted: appointments or a conversation with the team would tell whoever reads it
    next."""
    if args != ["yes"]:
        return await ask_forget(turn, args)
    turn.profile.state.pop("awaiting", None)
    result = await turn.store.forget(turn.profile.user_key, turn.now)
    for appointment in result.cancelled:
        turn.staff_notices.append(staff_notice(turn, "cancelled", appointment, None))
    for gone in result.gone:
        turn.staff_notices.append(gone_notice(turn.catalogs, turn.config, gone, "forgotten"))
    turn.forgotten = True
    lines = [
        "✅ " + escape(_("Done.")),
        escape(
            _("You can also delete this chat in {app}. To use the bot again, just write.").format(
                app=turn.event.person.channel.capitalize()
            )
        ),
    ]
    return [Reply("\n".join(lines), clear_chat=True, tracked=False)]


async def quick_exit(turn: Turn, args: list[str]) -> list[Reply]:
    """Deletes the chat's last 48 hours where the channel can, leaving one neutral line; ends
    a conversation with the team and holds everything else until the person writes again."""
    await end_for_safety(turn)
    return [Reply("👋", [[Option("☰", "menu")]], clear_chat=True)]


async def refuse_kind(turn: Turn) -> list[Reply]:
    """A contact card or a location is neither passed on nor kept: it says who or where."""
    if turn.event.refused == "identifying":
        text = _(
            "I did not pass this on to anyone and did not keep it: a contact card or a "
            "location can show who you are or where you are."
        )
    else:
        text = _("I cannot pass this kind of message on.")
    lines = [escape(text)]
    if turn.profile.state.get("awaiting") == "talk":
        lines.append(
            escape(
                _(
                    "To tell the team, write it in words, or send a photo, a voice message or "
                    "a file."
                )
            )
        )
    return [Reply("\n\n".join(lines), keeps_choices=True)]

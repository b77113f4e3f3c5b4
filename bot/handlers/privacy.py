"""/privacy explains what is kept; /forget removes everything about the person."""

from __future__ import annotations

from bot.conversation import Option, Reply, Turn, escape
from bot.handlers.booking import staff_notice
from bot.handlers.places import menu_row
from bot.handlers.topics import show_topic
from bot.i18n import _, ngettext


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
    if args != ["yes"]:
        return await ask_forget(turn, args)
    result = await turn.store.forget(turn.profile.user_key, turn.now)
    for appointment in result.cancelled:
        turn.staff_notices.append(staff_notice(turn, "cancelled", appointment, None))
    turn.forgotten = True
    lines = [
        "✅ " + escape(_("Deleted. The bot no longer knows you.")),
        "• " + escape(_("your language and settings")),
        "• "
        + escape(
            ngettext("{count} appointment", "{count} appointments", result.appointments).format(
                count=result.appointments
            )
        ),
        "• "
        + escape(
            ngettext(
                "{count} conversation with the team",
                "{count} conversations with the team",
                result.conversations,
            ).format(count=result.conversations)
        ),
        escape(
            _("You can also delete this chat in {app}. To use the bot again, just write.").format(
                app=turn.event.person.channel.capitalize()
            )
        ),
    ]
    return [Reply("\n".join(lines), tracked=False)]


async def quick_exit(turn: Turn, args: list[str]) -> list[Reply]:
    """Deletes the chat's last 48 hours where the channel can, leaving one neutral line."""
    turn.profile.state.pop("awaiting", None)
    return [Reply("👋", [[Option("☰", "menu")]], clear_chat=True)]

"""Start, main menu, help and language choice."""

from __future__ import annotations

from bot.conversation import Option, Reply, Turn, choice_word, escape, has_buttons
from bot.dates import list_text
from bot.i18n import _

# Commands /help lists, in this order ("start" and "help" itself are left out).
HELP_COMMANDS = ("talk", "appointments", "privacy", "forget", "clear", "language", "menu")
# The menu's "talk to a person" topic leads where the `talk` action does: offering both would
# list one option twice (the matcher routes that topic to the talk screen too, see ask.py).
SAME_AS_MENU = {"talk": "t:human"}


def translation_note(turn: Turn) -> str | None:
    info = turn.content.languages.get(turn.lang)
    if info is None or info.native_review:
        return None
    return _(
        "This translation has not yet been checked by a native speaker. "
        "If something is unclear, the team can explain it."
    )


def main_menu(
    turn: Turn,
    intro: str | None = None,
    replace: bool = False,
    extra_rows: list[list[Option]] | None = None,
) -> Reply:
    """The menu; `extra_rows` come after its own rows, so its numbers never move, and an
    extra option the menu already offers (same action, same label) is left out."""
    lines = [escape(intro)] if intro else []
    lines.append(escape(_("Choose a topic, or type your question.")))
    topics = [
        Option(text.button, f"t:{topic_id}")
        for topic_id in turn.content.index.menu
        if (text := turn.content.topic(turn.lang, topic_id)) is not None
    ]
    options = [topics[i : i + 2] for i in range(0, len(topics), 2)]
    options.append([Option("📍 " + _("Where to find us"), "services")])
    options.append(
        [Option("🆘 " + _("Emergency"), "emergency"), Option("🌐 " + _("Language"), "lang")]
    )
    options.append([Option("🚪 " + quick_exit_label(turn), "clear")])
    options += _new_rows(options, extra_rows or [])
    return Reply("\n\n".join(lines), options, replace=replace)


def quick_exit_label(turn: Turn) -> str:
    """In discreet mode the way out reads like any app's housekeeping: "quick exit" tells
    whoever holds the phone that this chat is something to hide (SECURITY.md)."""
    return _("Clear this chat") if turn.config.discreet else _("Quick exit")


def _new_rows(shown: list[list[Option]], extra: list[list[Option]]) -> list[list[Option]]:
    actions = {option.action for row in shown for option in row}
    labels = {choice_word(option.label) for row in shown for option in row}
    rows = []
    for row in extra:
        kept = [
            option
            for option in row
            if option.action not in actions
            and SAME_AS_MENU.get(option.action or "") not in actions
            and choice_word(option.label) not in labels
        ]
        if kept:
            rows.append(kept)
            actions |= {option.action for option in kept}
            labels |= {choice_word(option.label) for option in kept}
    return rows


async def start(turn: Turn, args: list[str]) -> list[Reply]:
    if turn.config.discreet:
        # Read over a shoulder, this must not say who the bot is for (SECURITY.md).
        welcome = _(
            "Hello. I answer questions about health and rights, at any hour. "
            "It is confidential: you do not need to give your name."
        )
    else:
        welcome = _(
            "Hello. I answer questions about health, rights and support for sex workers. "
            "It is confidential: you do not need to give your name."
        )
    parts = [welcome]
    if note := translation_note(turn):
        parts.append(note)
    return [main_menu(turn, "\n\n".join(parts))]


async def show_menu(turn: Turn, args: list[str]) -> list[Reply]:
    return [main_menu(turn, replace=turn.event.action is not None)]


def command_lines(turn: Turn) -> list[str]:
    """Every command the person can use, with the first alias of their language: "/talk or
    /parler – talk to a person"; without the slash where commands work without one."""
    slash = "/" if has_buttons(turn.event.person) else ""
    aliases = turn.content.commands.get(turn.lang)
    lines = []
    for name in HELP_COMMANDS:
        description = turn.commands.get(name)
        if description is None:
            continue
        words = [name, *(aliases.of(name)[:1] if aliases else [])]
        typed = list_text([slash + word for word in words], turn.lang, style="or")
        lines.append(f"{escape(typed)} – {escape(_(description))}")
    return lines


async def show_help(turn: Turn, args: list[str]) -> list[Reply]:
    buttons = has_buttons(turn.event.person)
    text = "\n".join(
        [
            escape(_("How to use this bot:")),
            "",
            *command_lines(turn),
            "",
            escape(_("You can also type a short question, in your own words.")),
            *([] if buttons else [escape(_("Send the number of a choice, or 0 for the menu."))]),
            escape(_("In an emergency, call 112 (ambulance) or 101 (police).")),
        ]
    )
    return [Reply(text, [[Option("☰ " + _("Menu"), "menu")]])]


def language_picker(turn: Turn, intro: str | None = None) -> Reply:
    names = {lang: info.name for lang, info in turn.content.languages.items()}
    options = [
        Option(("✓ " if lang == turn.lang else "") + names.get(lang, lang), f"setlang:{lang}")
        for lang in turn.config.languages
    ]
    lines = [escape(intro)] if intro else []
    lines.append(escape(_("Choose your language.")))
    return Reply(
        "\n\n".join(lines),
        [options[i : i + 2] for i in range(0, len(options), 2)],
        replace=turn.event.action is not None,
    )


async def choose_language(turn: Turn, args: list[str]) -> list[Reply]:
    """`/language` shows the choice; `/language nl` sets it directly."""
    if args:
        code = args[0].lower()
        if code in turn.config.languages:
            return await set_language(turn, [code])
        supported = list_text(turn.config.languages, turn.lang)
        return [
            language_picker(
                turn,
                _("I do not know the language {code}. Available: {codes}.").format(
                    code=args[0][:10], codes=supported
                ),
            )
        ]
    return [language_picker(turn)]


async def set_language(turn: Turn, args: list[str]) -> list[Reply]:
    code = args[0] if args else ""
    if code not in turn.config.languages:
        return [language_picker(turn)]
    turn.switch_language(code)
    info = turn.content.languages.get(code)
    name = info.name if info else code
    parts = [_("Language: {name}.").format(name=name)]
    if note := translation_note(turn):
        parts.append(note)
    return [main_menu(turn, "\n\n".join(parts), replace=turn.event.action is not None)]


async def unknown_button(turn: Turn) -> list[Reply]:
    reply = main_menu(turn, _("This button is no longer valid. Here is the menu."))
    reply.notice = _("This button is no longer valid.")
    return [reply]

"""Start, main menu, help and language choice."""

from __future__ import annotations

from bot.conversation import Option, Reply, Turn, escape
from bot.i18n import _


def translation_note(turn: Turn) -> str | None:
    info = turn.content.languages.get(turn.lang)
    if info is None or info.native_review:
        return None
    return _(
        "This translation has not yet been checked by a native speaker. "
        "If something is unclear, the team can explain it."
    )


def main_menu(turn: Turn, intro: str | None = None, replace: bool = False) -> Reply:
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
    options.append([Option("🚪 " + _("Quick exit"), "clear")])
    return Reply("\n\n".join(lines), options, replace=replace)


async def start(turn: Turn, args: list[str]) -> list[Reply]:
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


async def show_help(turn: Turn, args: list[str]) -> list[Reply]:
    text = "\n".join(
        [
            escape(_("How to use this bot:")),
            "",
            "/menu – " + escape(_("the list of topics")),
            "/language – " + escape(_("change the language")),
            "/help – " + escape(_("this help")),
            "",
            escape(_("You can also type a short question, in your own words.")),
            *(
                [escape(_("Send the number of a choice, or 0 for the menu."))]
                if turn.event.person.channel != "telegram"
                else []
            ),
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
        supported = ", ".join(turn.config.languages)
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

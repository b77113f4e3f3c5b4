"""Typed questions: urgent steps first, then the best topic's short answer, else honesty."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Option, Reply, Turn, escape, render_markup
from bot.handlers.menu import main_menu
from bot.handlers.places import menu_row, render_include
from bot.handlers.talk import offer_talk
from bot.handlers.topics import action_label, show_topic
from bot.i18n import _, use_language
from bot.language_guess import guess_language
from bot.matching import Match
from bot.smalltalk import MOST_WORDS


def urgent_reply(turn: Turn, kind: str, alternatives: list[str], also: Sequence[str] = ()) -> Reply:
    """The urgent steps, in one message, before anything else; never behind a menu.

    `also`: other urgent kinds in the same message ("he hit me and I want to die"): their
    short answers follow the first one's steps, so nothing urgent waits behind a button."""
    answer = turn.content.index.urgent[kind]  # type: ignore[index]
    text = turn.content.topic(turn.lang, answer.topic)
    assert text is not None, "content check guarantees every topic in every language"
    blocks = [f"⚠️ <b>{escape(text.title)}</b>", render_markup(text.short)]
    blocks += [block for name in answer.include if (block := render_include(turn, name))]
    for index in answer.pages:
        page = text.pages[index]
        blocks.append(f"<b>{escape(page.title)}</b>\n{render_markup(page.body)}")
    shown = {answer.topic}
    for other_kind in also:
        other = turn.content.index.urgent[other_kind]  # type: ignore[index]
        other_text = turn.content.topic(turn.lang, other.topic)
        if other.topic in shown or other_text is None:
            continue
        shown.add(other.topic)
        blocks += [f"⚠️ <b>{escape(other_text.title)}</b>", render_markup(other_text.short)]
        blocks += [block for name in other.include if (block := render_include(turn, name))]
    options = [
        [Option(action_label("talk", turn), "talk")],
        [Option(action_label("emergency", turn), "emergency")],
    ]
    if text.pages:
        options.append([Option("📖 " + _("Read more"), f"p:{answer.topic}:0")])
    options += _alternative_rows(turn, [t for t in alternatives if t not in shown])
    options.append(menu_row())
    return Reply("\n\n".join(blocks), options)


def _alternative_rows(turn: Turn, topic_ids: list[str]) -> list[list[Option]]:
    buttons = [
        Option(text.button, f"t:{topic_id}")
        for topic_id in topic_ids
        if (text := turn.content.topic(turn.lang, topic_id)) is not None
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


async def answer_typed_question(turn: Turn) -> list[Reply]:
    question = (turn.event.text or "").strip()
    if not question:
        # A photo, a voice message or a sticker: the bot reads text only.
        return [main_menu(turn, _("I can only read text. Choose a topic, or type your question."))]
    if not any(character.isalnum() for character in question):
        # Only emoji or punctuation: nothing to answer but the menu.
        return [main_menu(turn)]
    match: Match = turn.matcher.match(question, turn.lang)
    if match.urgent_kind is not None:
        replies = [
            urgent_reply(
                turn,
                match.urgent_kind,
                [t for t in [match.topic, *match.alternatives] if t],
                match.urgent_kinds[1:],
            )
        ]
    elif (small_talk := _small_talk(turn, question, match)) is not None:
        replies = [small_talk]
    elif match.topic is None:
        intro = _(
            "I am not sure I understood. Choose a topic below, try other words, "
            "or talk to a person from the team."
        )
        # After the menu's own rows, and only if the menu has no way to a person already.
        talk = [[Option(action_label("talk", turn), "talk")]]
        replies = [main_menu(turn, intro, extra_rows=talk)]
    elif not match.confident:
        replies = [_unsure(turn, [match.topic, *match.alternatives])]
    elif match.topic == "human":
        # "I want to talk to someone": straight to what the team will see and how.
        replies = await offer_talk(turn, [])
    else:
        reply = (await show_topic(turn, [match.topic]))[0]
        if match.alternatives:
            reply.text += "\n\n" + escape(_("Other topics that may help:"))
            # Before the last row (sources and menu), so the answer's own buttons come first.
            for row in reversed(_alternative_rows(turn, match.alternatives)):
                reply.options.insert(len(reply.options) - 1, row)
        replies = [reply]
    _offer_language(turn, question, replies[-1])
    return replies


def _small_talk(turn: Turn, question: str, match: Match) -> Reply | None:
    """A greeting, thanks, "ok", an insult...: a short answer and the menu, never a topic
    page; unless the message also asks something ("hello, is PrEP free?")."""
    small_talk = turn.matcher.small_talk
    recognised = small_talk.recognise(question, turn.lang) if small_talk else None
    if small_talk is None or recognised is None:
        return None
    if match.topic is not None and (recognised.coverage < MOST_WORDS or match.strong):
        return None
    answer = small_talk.answer(turn.lang, recognised.kind)
    # Someone who doubts the bot or is angry with it may want a person: the answer says how.
    return main_menu(turn, answer, extra_rows=[[Option(action_label("talk", turn), "talk")]])


def _unsure(turn: Turn, topic_ids: list[str]) -> Reply:
    """Two or three likely topics to choose from, rather than a confident wrong page."""
    text = escape(_("I am not sure what you mean. Is it one of these?"))
    options = [
        [Option(topic.button, f"t:{topic_id}")]
        for topic_id in topic_ids[:3]
        if (topic := turn.content.topic(turn.lang, topic_id)) is not None
    ]
    options.append([Option(action_label("talk", turn), "talk")])
    options.append(menu_row())
    return Reply(text, options)


def _offer_language(turn: Turn, question: str, reply: Reply) -> None:
    """A full sentence clearly in another supported language: the answer stays in the
    person's language, with one button, in the other language, to switch to it."""
    detected = guess_language(question, turn.config.languages)
    if detected is None or detected == turn.lang:
        return
    if turn.profile.state.get("language_offered") == detected:
        return  # offered once already; they chose to stay
    turn.profile.state["language_offered"] = detected
    info = turn.content.languages.get(detected)
    name = info.name if info else detected
    with use_language(turn.catalogs, detected):
        label = "🌐 " + _("Continue in {language}").format(language=name)
    reply.options.insert(0, [Option(label, f"setlang:{detected}")])

"""Typed questions: urgent steps first, then the best topic's short answer, else honesty."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Option, Reply, Turn, escape, render_markup
from bot.handlers.menu import main_menu
from bot.handlers.places import menu_row, render_include
from bot.handlers.talk import offer_talk
from bot.handlers.topics import action_label, show_topic
from bot.i18n import _
from bot.matching import Match


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
    match: Match = turn.matcher.match(question, turn.lang)
    if match.urgent_kind is not None:
        return [
            urgent_reply(
                turn,
                match.urgent_kind,
                [t for t in [match.topic, *match.alternatives] if t],
                match.urgent_kinds[1:],
            )
        ]
    if match.topic is None:
        reply = main_menu(
            turn,
            _(
                "I am not sure I understood. Choose a topic below, try other words, "
                "or talk to a person from the team."
            ),
        )
        reply.options.insert(0, [Option(action_label("talk", turn), "talk")])
        return [reply]
    if match.topic == "human":
        # "I want to talk to someone": straight to what the team will see and how.
        return await offer_talk(turn, [])
    reply = (await show_topic(turn, [match.topic]))[0]
    if match.alternatives:
        reply.text += "\n\n" + escape(_("Other topics that may help:"))
        # Before the last row (sources and menu), so the answer's own buttons come first.
        for row in reversed(_alternative_rows(turn, match.alternatives)):
            reply.options.insert(len(reply.options) - 1, row)
    return [reply]

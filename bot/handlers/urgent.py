"""Urgent steps: what comes first, before anything else, whatever the person was doing.

Used for typed questions, and wherever typed text would otherwise be taken for something else
(a nickname, a message to a team that is closed now): a disclosure is never swallowed.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Option, Reply, Turn, escape, render_markup
from bot.handlers.places import menu_row, render_include
from bot.handlers.topics import action_label
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
    options += alternative_rows(turn, [t for t in alternatives if t not in shown])
    options.append(menu_row())
    return Reply("\n\n".join(blocks), options)


def alternative_rows(turn: Turn, topic_ids: list[str]) -> list[list[Option]]:
    buttons = [
        Option(text.button, f"t:{topic_id}")
        for topic_id in topic_ids
        if (text := turn.content.topic(turn.lang, topic_id)) is not None
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def urgent_answer(turn: Turn, text: str) -> Reply | None:
    """The urgent steps if `text` discloses something urgent, else None."""
    return urgent_for(turn, turn.matcher.match(text, turn.lang))


def urgent_for(turn: Turn, match: Match) -> Reply | None:
    """The urgent steps for a match already made, or None when it is not urgent."""
    if match.urgent_kind is None:
        return None
    alternatives = [t for t in [match.topic, *match.alternatives] if t]
    return urgent_reply(turn, match.urgent_kind, alternatives, match.urgent_kinds[1:])

"""Typed questions: urgent steps first, then the best topic's short answer, else honesty."""

from __future__ import annotations

from bot.conversation import Option, Reply, Turn, escape
from bot.handlers.menu import main_menu
from bot.handlers.places import menu_row
from bot.handlers.talk import offer_talk
from bot.handlers.topics import action_label, show_topic
from bot.handlers.urgent import alternative_rows, urgent_for
from bot.i18n import _, use_language
from bot.language_guess import guess_language
from bot.matching import Match
from bot.smalltalk import MOST_WORDS


async def answer_typed_question(turn: Turn) -> list[Reply]:
    question = (turn.event.text or "").strip()
    if not question:
        # A photo, a voice message or a sticker: the bot reads text only.
        return [main_menu(turn, _("I can only read text. Choose a topic, or type your question."))]
    if not any(character.isalnum() for character in question):
        # Only emoji or punctuation: nothing to answer but the menu.
        return [main_menu(turn)]
    match: Match = turn.matcher.match(question, turn.lang)
    if (urgent := urgent_for(turn, match)) is not None:
        replies = [urgent]
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
        shown = {option.action for row in reply.options for option in row}
        others = [t for t in match.alternatives if f"t:{t}" not in shown]
        if others:
            reply.text += "\n\n" + escape(_("Other topics that may help:"))
            # Before the last row (sources and menu), so the answer's own buttons come first.
            for row in reversed(alternative_rows(turn, others)):
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
    # "ok. he is outside my door": one small-talk word must not hide the rest of a message.
    if recognised.coverage < MOST_WORDS or (match.topic is not None and match.strong):
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
    # Last: the answer's own choices keep their places ("talk to a person" first).
    reply.options.append([Option(label, f"setlang:{detected}")])

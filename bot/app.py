"""Builds the conversation: the one place where every command and button is wired."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import Config
from bot.content import Content
from bot.conversation import Clock, Conversation
from bot.handlers import ask, booking, booking_typed, menu, places, privacy, talk, topics
from bot.i18n import N_, Catalogs
from bot.matching import Matcher
from bot.store import Keys, Store


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_conversation(
    store: Store,
    keys: Keys,
    config: Config,
    content: Content,
    catalogs: Catalogs,
    matcher: Matcher,
    clock: Clock = utc_now,
) -> Conversation:
    conversation = Conversation(store, keys, config, content, catalogs, matcher, clock)

    def discreet(plain: str, neutral: str) -> str:
        """The app shows the command list to whoever holds the phone, and /help repeats it:
        in discreet mode it reads like any app's settings (SECURITY.md, "Discreet mode")."""
        return neutral if config.discreet else plain

    # Commands, in the order shown to people in their app's command list.
    conversation.command("start", menu.start, N_("start again"))
    conversation.command("menu", menu.show_menu, N_("the list of topics"))
    conversation.command("language", menu.choose_language, N_("change the language"))
    conversation.command("appointments", booking.my_appointments, N_("my appointments"))
    conversation.command("talk", talk.offer_talk, N_("talk to a person"))
    conversation.command("end", talk.end_talking, N_("end the conversation with the team"))
    conversation.command("privacy", privacy.explain, N_("what is kept about you"))
    conversation.command(
        "forget",
        privacy.ask_forget,
        discreet(N_("delete everything about you"), N_("delete my data")),
    )
    conversation.command(
        "clear",
        privacy.quick_exit,
        discreet(N_("quick exit: clear this chat"), N_("clear this chat")),
    )
    conversation.command("help", menu.show_help, N_("how to use this bot"))
    # Buttons and numbered choices.
    conversation.action("menu", menu.show_menu)
    conversation.action("lang", menu.choose_language)
    conversation.action("setlang", menu.set_language)
    conversation.action("t", topics.show_topic)
    conversation.action("p", topics.show_page)
    conversation.action("src", topics.show_sources)
    conversation.action("services", places.show_places)
    conversation.action("loc", places.show_location)
    conversation.action("emergency", places.show_emergency)
    conversation.action("call", places.show_numbers)
    conversation.action("book", booking.start_booking)
    conversation.action("bt", booking.choose_type)
    conversation.action("br", booking.answer_risk)
    conversation.action("bl", booking.choose_location)
    conversation.action("bd", booking.choose_day)
    conversation.action("bs", booking.choose_time)
    conversation.action("bo", booking.change_option)
    conversation.action("bc", booking.confirm)
    conversation.action("ba", booking.my_appointments)
    conversation.action("am", booking.show_appointment)
    conversation.action("ac", booking.ask_cancel)
    conversation.action("ax", booking.cancel)
    conversation.action("mv", booking.move)
    conversation.action("talk", talk.offer_talk)
    conversation.action("tk", talk.conversation_action)
    conversation.action("rate", talk.rate)
    conversation.action("fg", privacy.forget)
    conversation.action("clear", privacy.quick_exit)
    conversation.on_awaited_text("nickname", booking.typed_nickname)
    conversation.on_awaited_text(talk.AWAITING, talk.relay_from_person)
    conversation.on_text_in_flow(booking_typed.BOOKING_STEPS, booking_typed.typed_in_booking)
    conversation.on_text_in_flow({"tk"}, talk.typed_after_offer)
    conversation.on_text(ask.answer_typed_question)
    conversation.on_stale(menu.unknown_button)
    conversation.on_refused(privacy.refuse_kind)
    return conversation

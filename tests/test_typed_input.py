"""Typed input that is not a plain question: urgent disclosures in every language through both
channels, small talk, emoji, unsure matches and a sentence in another language."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from bot.checks import check_everything
from bot.matching import Matcher
from tests.conftest import ROOT, RunningBot, SignalPerson, TelegramPerson
from tests.fakes.bot_api import ChatMessage, FakeBotAPI, FakeUser

LANGUAGES = ["fr", "nl", "en", "es", "pt", "ro", "bg"]

# Recent sexual violence told without the word "rape", the way the issue found it missed.
FORCED = {
    "fr": "un client m'a forcée hier soir",
    "nl": "een klant heeft me gisteren gedwongen",
    "en": "a client forced me last night",
    "es": "un cliente me obligó anoche",
    "pt": "um cliente me forçou ontem à noite",
    "ro": "un client m-a fortat aseara",
    "bg": "klient me nasili snoshti",
}
# Suicidal thoughts, which had no urgent class at all.
WANT_TO_DIE = {
    "fr": "jveux plus vivre",
    "nl": "ik wil dood",
    "en": "i want to die",
    "es": "ya no quiero vivir",
    "pt": "quero morrer",
    "ro": "vreau sa mor",
    "bg": "искам да умра",
}


async def to_the_risk_question(person: TelegramPerson) -> ChatMessage:
    """A French person booking a rapid test, up to "when was your last risk?"."""
    menu = await person.send("/menu")
    topic = await person.tap(menu, "📅 Rendez-vous")
    types = await person.tap(topic, "Prendre rendez-vous")
    return await person.tap(types, "Test rapide")


def title(lang: str, topic: str) -> str:
    with (ROOT / "content" / lang / f"{topic}.yaml").open(encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)["title"])


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return asyncio.run(check_everything(ROOT / "config.example.yaml", ROOT / "content")).matcher


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_sexual_violence_without_the_word_gets_urgent_steps_on_telegram(
    running_bot: RunningBot, bot_api: FakeBotAPI, lang: str
) -> None:
    person = TelegramPerson(
        bot_api, FakeUser(id=5551000000, first_name="Bo", username=None, language_code=lang)
    )
    async with running_bot():
        reply = await person.send(FORCED[lang])
    assert reply.text.startswith(f"⚠️ {title(lang, 'violence')}"), reply.text
    assert "112" in reply.text and "CPVS" in reply.text
    assert reply.button_labels()[0].startswith("💬 ")  # talk to a person, first


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_suicidal_thoughts_get_the_24_7_lines_first_on_signal(
    running_bot: RunningBot, ana: SignalPerson, lang: str
) -> None:
    async with running_bot():
        await ana.send(f"/language {lang}")
        reply = await ana.send(WANT_TO_DIE[lang])
    assert reply.startswith(f"⚠️ {title(lang, 'mental_health')}"), reply
    # The lines and 112 come before any choice; a person is the first choice.
    steps = reply.split("  1. ")[0]
    assert "0800 32 123" in steps and "1813" in steps and "112" in steps
    assert "  1. 💬" in reply


@pytest.mark.parametrize(
    ("lang", "text", "kind"),
    [
        ("fr", "bonjour", "greeting"),
        ("fr", "Bonsoir 😊", "greeting"),
        ("fr", "merci beaucoup !", "thanks"),
        ("fr", "ok", "ok"),
        ("fr", "t'es un robot ?", "robot"),
        ("fr", "ta gueule", "insult"),
        ("fr", "au revoir", "goodbye"),
        ("fr", "c'est combien pour une heure", "off_topic"),
        ("en", "thank you so much", "thanks"),
        ("en", "are you a bot", "robot"),
        ("nl", "dankjewel", "thanks"),
        ("es", "hola", "greeting"),
        ("pt", "obrigada", "thanks"),
        ("ro", "mersi mult", "thanks"),
        ("bg", "благодаря", "thanks"),
        ("bg", "zdravei", "greeting"),
    ],
)
def test_small_talk_classes(matcher: Matcher, lang: str, text: str, kind: str) -> None:
    assert matcher.small_talk is not None
    recognised = matcher.small_talk.recognise(text, lang)
    assert recognised is not None and recognised.kind == kind
    assert matcher.small_talk.answer(lang, kind)


def test_a_question_is_not_small_talk(matcher: Matcher) -> None:
    assert matcher.small_talk is not None
    recognised = matcher.small_talk.recognise("bonjour, la prep c'est gratuit ?", "fr")
    assert recognised is not None and recognised.coverage < 0.5
    assert matcher.match("bonjour, la prep c'est gratuit ?", "fr").topic == "prep"


async def test_small_talk_and_emoji_get_a_short_answer_and_the_menu(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        thanks = await maria.send("merci beaucoup")
        assert thanks.text.startswith("Avec plaisir")
        assert "🛑 Violences" in thanks.button_labels()
        robot = await maria.send("t'es un robot ?")
        assert "pas une personne" in robot.text
        assert "💬 Parler à une personne" in robot.button_labels()
        emoji = await maria.send("😘😘🙏")
        assert emoji.text.startswith("Choisissez un sujet")
        question = await maria.send("bonjour, la prep c'est gratuit ?")
        assert question.text.startswith("PrEP")


async def test_unsure_match_offers_choices_not_a_page(
    running_bot: RunningBot, maria: TelegramPerson, matcher: Matcher
) -> None:
    text = "police et logement"
    found = matcher.match(text, "fr")
    assert not found.confident, found
    async with running_bot():
        reply = await maria.send(text)
    labels = reply.button_labels()
    assert "⚖️ Droits" in labels and "🏠 Aide sociale" in labels
    assert not reply.text.startswith("Vos droits")
    assert "💬 Parler à une personne" in labels
    assert len(labels) <= 5


async def test_a_sentence_in_another_language_offers_to_switch(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        reply = await maria.send("quiero saber cuánto cuesta la prep en Bélgica")
        # Answered in the profile's language, with one button, in Spanish, to switch.
        assert reply.text.startswith("PrEP : un médicament")
        assert reply.button_labels()[-1] == "🌐 Continuar en Español"
        spanish = await maria.tap(reply, "Continuar en Español")
        assert "Idioma: Español" in spanish.text
        # Short messages are never taken for another language.
        short = await maria.send("prep gratis")
        assert not any(label.startswith("🌐 ") for label in short.button_labels())


async def test_a_disclosure_is_never_taken_for_a_nickname(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        risk = await to_the_risk_question(maria)
        window = await maria.tap(risk, "Entre 3 jours et 3 mois")
        days = await maria.tap(window, "Continuer la réservation")
        times = await maria.tap(days, "Mar. 24 nov.")
        confirm = await maria.tap(times, "15:30")
        await maria.tap(confirm, "Ajouter un surnom")
        urgent = await maria.send("je veux mourir")
        assert urgent.text.startswith("⚠️ Se sentir très mal"), urgent.text
        assert "Surnom : je veux mourir" not in urgent.text
        # The booking still waits for a nickname.
        confirm = await maria.send("Rose")
        assert "Surnom : Rose" in confirm.text


async def test_words_after_a_command_are_read(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        urgent = await maria.send("/aide il m'a frappée")
        assert urgent.text.startswith("⚠️ Violences"), urgent.text
        helped = await maria.send("/aide")
        assert helped.text.startswith("Comment utiliser ce bot")
        dutch = await maria.send("/language nl")
        assert "Taal: Nederlands." in dutch.text


async def test_one_small_talk_word_does_not_hide_the_message(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        reply = await maria.send("ok il est devant ma porte")
        assert not reply.text.startswith("D'accord")
        assert "💬 Parler à une personne" in reply.button_labels()


async def test_switch_offer_comes_after_the_urgent_steps(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        reply = await maria.send("quiero morir, ya no puedo más con esta vida")
        assert reply.text.startswith("⚠️ Se sentir très mal")
        labels = reply.button_labels()
        assert labels[0] == "💬 Parler à une personne"
        assert labels[-1] == "🌐 Continuar en Español"


@pytest.mark.parametrize(
    ("typed", "advice"),
    [("hier", "le TPE passe d'abord"), ("il y a 2 semaines", "fiable 3 mois après le risque")],
)
async def test_the_last_risk_can_be_typed(
    running_bot: RunningBot, maria: TelegramPerson, typed: str, advice: str
) -> None:
    async with running_bot():
        risk = await to_the_risk_question(maria)
        assert "quand a eu lieu votre dernier risque" in risk.text
        answer = await maria.send(typed)
        assert advice in answer.text, answer.text


async def test_quick_exit_works_whatever_follows_it(
    running_bot: RunningBot, maria: TelegramPerson, bot_api: FakeBotAPI
) -> None:
    async with running_bot():
        await maria.send("/start")
        # The chat shrinks, so wait for what the person sees rather than for new activity.
        bot_api.user_sends(maria.user, "/clear il arrive")
        await bot_api.wait_for(
            lambda: [m.text for m in bot_api.messages[maria.user.id].values()] == ["👋"]
        )
        urgent = await maria.send("/start je veux mourir")
        assert urgent.text.startswith("⚠️ Se sentir très mal"), urgent.text
        language = await maria.send("/language je veux mourir")
        assert language.text.startswith("⚠️ Se sentir très mal"), language.text

"""Typed questions in the chat: urgent steps first, the best topic, or an honest answer."""

from __future__ import annotations

from tests.conftest import RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser


async def test_exposure_gets_the_pep_steps_first_nearest_hospital_first(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        reply = await maria.send("la capote a craqué hier soir")
    assert reply.text.startswith("⚠️ TPE")
    assert "au plus tard 72 heures" in reply.text
    # Hainaut, where the organisation works, before Namur, Brussels and Liège.
    assert (
        reply.text.index("CHU Marie-Curie")
        < reply.text.index("CHU UCL Namur")
        < reply.text.index("CHU de Liège")
    )
    labels = reply.button_labels()
    assert labels[0] == "💬 Parler à une personne"
    assert "🆘 Numéros d'urgence" in labels


async def test_violence_gets_emergency_numbers_and_cpvs_in_dutch(
    running_bot: RunningBot, bot_api: FakeBotAPI
) -> None:
    person = TelegramPerson(
        bot_api, FakeUser(id=5550002222, first_name="An", username=None, language_code="nl")
    )
    async with running_bot():
        reply = await person.send("mijn vriend slaat me")
    assert reply.text.startswith("⚠️ Geweld")
    assert "bel 112" in reply.text and "101" in reply.text
    assert "CPVS Charleroi" in reply.text and "071 92 41 00" in reply.text
    assert reply.button_labels()[0] == "💬 Met iemand praten"


async def test_exploitation_gets_the_specialised_centres_in_english(
    running_bot: RunningBot, bot_api: FakeBotAPI
) -> None:
    person = TelegramPerson(
        bot_api, FakeUser(id=5550003333, first_name="Ana", username=None, language_code="en")
    )
    async with running_bot():
        reply = await person.send("my sponsor takes half of my money")
        assert reply.text.startswith("⚠️ Violence")
        assert "PAG-ASA" in reply.text and "Payoke" in reply.text and "Sürya" in reply.text
        assaulted = await person.send("i was raped last night")
        assert "CPVS" in assaulted.text and "PEP" in assaulted.text
        assert "🚨 PEP – after a risk" in assaulted.button_labels()


async def test_a_question_gets_the_short_answer_and_alternatives(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        reply = await maria.send("ou faire un test vih gratuit")
        assert reply.text.startswith("Tests VIH, syphilis")
        assert not reply.text.startswith("⚠️")
        greeting = await maria.send("bonjour comment ça va")
        assert greeting.text.startswith("Bonjour, je suis là")
        nothing = await maria.send("blorp zingue flouk")
        assert "Je ne suis pas sûr d'avoir compris" in nothing.text
        # The menu as always (its numbers do not move), with its way to a person, once.
        labels = nothing.button_labels()
        assert labels[0] == "🚨 TPE – après un risque"
        assert labels.count("💬 Parler à une personne") == 1


async def test_a_wrong_language_question_is_understood(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        reply = await maria.send("unprotected sex this morning")
    assert reply.text.startswith("⚠️ TPE")


async def test_romanian_and_bulgarian_people_get_urgent_steps_in_their_language(
    running_bot: RunningBot, bot_api: FakeBotAPI
) -> None:
    ioana = TelegramPerson(
        bot_api, FakeUser(id=5550004444, first_name="Ioana", username=None, language_code="ro")
    )
    maya = TelegramPerson(
        bot_api, FakeUser(id=5550005555, first_name="Maya", username=None, language_code="bg")
    )
    async with running_bot():
        menu = await ioana.send("/start")
        assert "Bună" in menu.text
        reply = await ioana.send("s-a rupt prezervativul aseara")
        assert reply.text.startswith("⚠️ PEP")
        assert "cel târziu la 72 de ore" in reply.text
        assert reply.button_labels()[0] == "💬 Vorbește cu o persoană"
        threatened = await maya.send("той ме заплашва")
        assert threatened.text.startswith("⚠️ Насилие")
        assert "112" in threatened.text and "CPVS Charleroi" in threatened.text
        latin = await maya.send("skasa se prezervativa")
        assert latin.text.startswith("⚠️ PEP")

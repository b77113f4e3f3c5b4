"""Scenarios a person lives through on Telegram, through real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio

from tests.conftest import RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser


async def test_start_in_a_french_client_lands_in_french(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        menu = await maria.send("/start")
    assert "Bonjour" in menu.text
    assert "confidentiel" in menu.text
    assert any("TPE" in label for label in menu.button_labels())
    assert any("Langue" in label for label in menu.button_labels())


FRENCH_MENU = {
    "🚨 TPE – après un risque",
    "💊 PrEP",
    "🧪 Tests",
    "🩺 IST et symptômes",
    "🛑 Violences",
    "💜 Je me sens mal",
    "⚖️ Droits",
    "🏠 Aide sociale",
    "🤝 Nos services",
    "📅 Rendez-vous",
    "💬 Parler à une personne",
    "🔒 Vie privée",
}


async def test_switching_to_dutch_changes_every_label(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        menu = await maria.send("/start")
        picker = await maria.tap(menu, "Langue")
        dutch = await maria.tap(picker, "Nederlands")
        labels = dutch.button_labels()
        assert "Taal: Nederlands." in dutch.text
        assert "Kies een onderwerp" in dutch.text
        assert not (FRENCH_MENU - {"💊 PrEP"}) & set(labels)
        # The last one is the way out, worded by discreet mode (tests/test_discreet.py).
        assert labels[-1].startswith("🚪 ") and labels[-1] != "🚪 Sortie rapide"
        assert labels[:-1] == [
            "🚨 PEP – na een risico",
            "💊 PrEP",
            "🧪 Testen",
            "🩺 Soa's en klachten",
            "🛑 Geweld",
            "💜 Ik voel me slecht",
            "⚖️ Rechten",
            "🏠 Sociale hulp",
            "🤝 Onze diensten",
            "📅 Afspraak",
            "💬 Met iemand praten",
            "🔒 Privacy",
            "📍 Waar vind je ons",
            "🆘 Noodgeval",
            "🌐 Taal",
        ]
        # The choice is remembered: a new /menu is Dutch even though the client says French.
        again = await maria.send("/menu")
        assert "Kies een onderwerp" in again.text
        topic = await maria.tap(again, "PrEP")
        assert "geneesmiddel" in topic.text
        assert "Meer lezen" in " ".join(topic.button_labels())


async def test_language_command_sets_it_directly(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        english = await maria.send("/language en")
        assert "Language: English." in english.text
        unknown = await maria.send("/language xx")
        assert "I do not know the language xx" in unknown.text
        assert "Nederlands" in " ".join(unknown.button_labels())


async def test_every_topic_opens_pages_through_and_comes_back(
    running_bot: RunningBot, maria: TelegramPerson, bot_api: FakeBotAPI
) -> None:
    async with running_bot():
        menu = await maria.send("/start")
        for label in sorted(FRENCH_MENU):
            topic = await maria.tap(menu, label)
            short_text = topic.text
            if not any("En savoir plus" in b for b in topic.button_labels()):
                menu = await maria.tap(topic, "Menu")
                continue
            page = await maria.tap(topic, "En savoir plus")
            pages = [page.text]
            assert page.message_id == topic.message_id, "pages replace the message in place"
            while any("Suivant" in b for b in page.button_labels()):
                page = await maria.tap(page, "Suivant")
                pages.append(page.text)
            total = len(pages)
            assert f"· {total}/{total}" in pages[-1]
            assert len(set(pages)) == total
            previous = await maria.tap(page, "Précédent") if total > 1 else page
            if total > 1:
                assert previous.text == pages[-2]
            back = await maria.tap(previous, "↩")
            assert back.text == short_text
            menu = await maria.tap(back, "Menu")
            assert "Choisissez un sujet" in menu.text


async def test_sources_and_review_date_are_shown(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        menu = await maria.send("/start")
        topic = await maria.tap(menu, "PrEP")
        sources = await maria.tap(topic, "Sources")
    assert "promise-prep.be" in sources.html
    assert "Prochaine vérification : 22 mai 2027" in sources.text


async def test_places_show_hours_and_open_now_in_brussels_time(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        menu = await maria.send("/start")
        places = await maria.tap(menu, "Où nous trouver")
        assert (
            "Ouvert maintenant, jusqu’à 12:00" in places.text
            or "Ouvert maintenant, jusqu'à 12:00" in places.text
        )
        charleroi = await maria.tap(places, "Charleroi")
        assert "Rue Desandrouin 13" in charleroi.text
        # CLDR's French ranges (thin spaces around the dash), list ("et") and the narrow
        # no-break space French puts before a colon.
        assert (
            "Lundi\u2009–\u2009vendredi\u202f: 09:00\u2009–\u200912:00 et 13:30\u2009–\u200916:00"
            in charleroi.text
        )
        assert "071 31 40 42" in charleroi.text


async def test_forged_or_outdated_button_gets_a_polite_answer_and_the_menu(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot() as runtime:
        menu = await maria.send("/start")
        forged, answer = await maria.send_callback(menu, "t:prep|AAAAAAAA")
        assert answer.get("text") == "Ce bouton n'est plus valable."
        assert "Voici le menu" in forged.text
        assert "Choisissez un sujet" in forged.text
        # Correctly signed, but for a topic that no longer exists (content changed meanwhile).
        tag = runtime.keys.button_tag("t:removed_topic")
        gone, _ = await maria.send_callback(menu, f"t:removed_topic|{tag}")
        assert "Voici le menu" in gone.text
        # Garbage from an old version of the bot, without any signature.
        old, _ = await maria.send_callback(menu, "menu_prep_2")
        assert "Voici le menu" in old.text


async def test_restart_in_the_middle_of_a_conversation(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        menu = await maria.send("/start")
        picker = await maria.tap(menu, "Langue")
        english = await maria.tap(picker, "English")
        topic = await maria.tap(english, "PEP")
        page_one = await maria.tap(topic, "Read more")
    # A new process: nothing in memory survives, everything needed is in the database.
    async with running_bot():
        page_two = await maria.tap(page_one, "Next")
        assert "· 2/" in page_two.text
        assert "What to say" in page_two.text
        menu = await maria.send("/menu")
        assert "Choose a topic" in menu.text


async def test_the_bot_leaves_groups(running_bot: RunningBot, bot_api: FakeBotAPI) -> None:
    someone = FakeUser(id=5550009999, first_name="Jo", username="jo", language_code="nl")
    async with running_bot():
        bot_api.bot_added_to_group(someone, -100200300)
        await bot_api.wait_for(lambda: -100200300 in bot_api.left_chats)
        bot_api.group_message(someone, -100400500, "/start")
        await bot_api.wait_for(lambda: -100400500 in bot_api.left_chats)
    assert not bot_api.calls_to("sendMessage")


async def test_commands_are_registered_in_every_language(
    running_bot: RunningBot, bot_api: FakeBotAPI
) -> None:
    async with running_bot():
        pass
    names = {key[1]: [c["command"] for c in commands] for key, commands in bot_api.commands.items()}
    assert set(names) == {"", "fr", "nl", "en", "es", "pt", "ro", "bg"}
    expected = [
        "start",
        "menu",
        "language",
        "appointments",
        "talk",
        "end",
        "privacy",
        "forget",
        "clear",
        "help",
    ]
    assert all(value == expected for value in names.values())
    dutch = {c["command"]: c["description"] for c in bot_api.commands[("all_private_chats", "nl")]}
    assert dutch["language"] == "de taal wijzigen"


async def test_typed_text_and_other_messages_get_an_honest_answer(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        await maria.send("/start")
        reply = await maria.send("bonjour j'ai une question")
        assert "Choisissez un sujet" in reply.text
        # Typing the number of an option works too, and the menu's numbers never move: 2 is
        # PrEP here as in the plain menu.
        numbered = await maria.send("2")
        assert "PrEP" in numbered.text


async def test_an_update_is_confirmed_only_once_handled(
    running_bot: RunningBot, maria: TelegramPerson, bot_api: FakeBotAPI
) -> None:
    async with running_bot():
        await maria.send("/start")
        bot_api.delays["sendMessage"] = 1.5  # a slow network while answering
        bot_api.user_sends(maria.user, "/menu")
        update_id = bot_api.last_update_id
        await asyncio.sleep(0.8)  # handled and answering, the answer still on its way
        assert len(bot_api.calls_to("sendMessage")) == 2
        # While the answer is still on its way, Telegram has not been told the update is done.
        assert max(bot_api.offsets_asked()) <= update_id
        bot_api.delays.clear()
        for _ in range(100):
            if max(bot_api.offsets_asked()) > update_id:
                break
            await asyncio.sleep(0.1)
        assert max(bot_api.offsets_asked()) > update_id, bot_api.offsets_asked()


async def test_a_slow_chat_does_not_hold_the_others_and_each_chat_keeps_its_order(
    running_bot: RunningBot, maria: TelegramPerson, bot_api: FakeBotAPI
) -> None:
    other = TelegramPerson(bot_api, FakeUser(id=5550009999, first_name="Lea", language_code="en"))
    async with running_bot():
        await maria.send("/start")
        await other.send("/start")
        bot_api.most_in_flight.clear()
        bot_api.delays["sendMessage"] = 0.3  # every answer takes a while to go out
        # Both write three messages at once: they arrive in the same batch of updates.
        for text in ("/language en", "/help", "/privacy"):
            bot_api.user_sends(maria.user, text)
            bot_api.user_sends(other.user, text)
        await bot_api.wait_for(lambda: len(bot_api.bot_messages(maria.user.id)) >= 4)
        await bot_api.wait_for(lambda: len(bot_api.bot_messages(other.user.id)) >= 4)
    # The two chats were answered side by side, each one answer at a time, in order.
    assert bot_api.most_in_flight["all"] >= 2
    assert bot_api.most_in_flight[str(maria.user.id)] == 1
    assert bot_api.most_in_flight[str(other.user.id)] == 1
    for person in (maria, other):
        answers = [m.text for m in bot_api.bot_messages(person.user.id)][-3:]
        assert answers[0].startswith("Language: English")
        assert answers[1].startswith("How to use this bot")
        assert answers[2].startswith("Your privacy")

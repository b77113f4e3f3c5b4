"""Numbers and words typed inside a flow: answered inside it, never by the general menu.
Page numbers that keep their meaning, and a menu whose numbers never move."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.checks import check_everything
from bot.conversation import Event, Option, Person, Turn
from bot.handlers.menu import main_menu
from bot.i18n import use_language
from bot.store import Profile
from tests.conftest import ROOT, RunningBot, SignalPerson, TelegramPerson

NOT_UNDERSTOOD = "pas sûr d'avoir compris"  # the general "not understood" menu


async def to_the_days(ana: SignalPerson) -> str:
    await ana.send("bonjour")
    await ana.choose("Rendez-vous")
    await ana.choose("Prendre rendez-vous")
    await ana.choose("Test rapide")
    return await ana.choose("Je préfère ne pas le dire")


async def test_typed_days_and_times_while_booking_on_signal(
    running_bot: RunningBot, ana: SignalPerson
) -> None:
    async with running_bot():
        days = await to_the_days(ana)
        assert "Quel jour ?" in days and "  9. ☰ Menu" in days
        # A number that is none of the choices: the valid range, and the days again.
        wrong = await ana.send("99")
        assert wrong.startswith("Envoyez un numéro de 1 à 9, ou 0 pour le menu.")
        assert "Quel jour ?" in wrong and NOT_UNDERSTOOD not in wrong
        # A day named in words is chosen as if its number had been sent.
        thursday = await ana.send("jeudi")
        assert thursday.startswith("Jeudi 26 novembre"), thursday
        assert "À quelle heure ?" in thursday
        # A time that is not free that day: said, with the free times.
        taken = await ana.send("14h30")
        assert taken.startswith("14:30 n'est pas libre le jeudi 26 novembre."), taken
        confirm = await ana.send("10h20")
        assert "Jeudi 26 novembre, 10:20" in confirm and "Confirmer" in confirm
        # From the confirmation, a day and a time together go straight to that slot.
        other = await ana.send("demain à 14h")
        assert other.startswith("14:00 n'est pas libre le mardi 24 novembre."), other
        confirm = await ana.send("mardi 13h50")
        assert "Mardi 24 novembre, 13:50" in confirm


@pytest.mark.parametrize("typed", ["thursday", "joi", "четвъртък", "chetvartak", "donderdag"])
async def test_a_day_in_any_language(
    running_bot: RunningBot, ana: SignalPerson, typed: str
) -> None:
    async with running_bot():
        await to_the_days(ana)
        times = await ana.send(typed)
        assert times.startswith("Jeudi 26 novembre"), times


async def test_questions_and_words_inside_the_booking_flow(
    running_bot: RunningBot, ana: SignalPerson
) -> None:
    async with running_bot():
        await to_the_days(ana)
        # Words that name no day: a hint inside the flow, with an example from the list.
        lost = await ana.send("bof")
        assert lost.startswith("Je n'ai pas compris quel jour"), lost
        assert "mardi 24 novembre" in lost and "Quel jour ?" in lost
        # An urgent disclosure is never taken for a day ("hier"): the urgent steps come first.
        urgent = await ana.send("la capote a craqué hier soir")
        assert urgent.startswith("⚠️ TPE"), urgent
        # A question asked mid-flow gets its answer.
        await to_the_days(ana)
        prep = await ana.send("c'est quoi la prep")
        assert prep.startswith("PrEP"), prep


async def test_typed_days_on_telegram(running_bot: RunningBot, maria: TelegramPerson) -> None:
    async with running_bot():
        menu = await maria.send("/start")
        topic = await maria.tap(menu, "Rendez-vous")
        kinds = await maria.tap(topic, "Prendre rendez-vous")
        risk = await maria.tap(kinds, "Test rapide")
        days = await maria.tap(risk, "ne pas le dire")
        assert "Jeu. 26 nov." in days.button_labels()
        wrong = await maria.send("99")
        assert wrong.text.startswith("Choisissez un des boutons, ou envoyez 0 pour le menu.")
        assert "Jeu. 26 nov." in wrong.button_labels()
        times = await maria.send("jeudi")
        assert times.text.startswith("Jeudi 26 novembre")
        assert "10:20" in times.button_labels()


async def test_a_wrong_number_elsewhere_keeps_the_choices(
    running_bot: RunningBot, ana: SignalPerson
) -> None:
    async with running_bot():
        menu = await ana.send("bonjour")
        assert "  16. 🚪 " in menu
        assert await ana.send("99") == "Envoyez un numéro de 1 à 16, ou 0 pour le menu."
        # The numbers still mean the menu's choices.
        assert (await ana.send("2")).startswith("PrEP")


async def test_next_is_the_same_number_on_every_page(
    running_bot: RunningBot, ana: SignalPerson, maria: TelegramPerson
) -> None:
    async with running_bot():
        await ana.send("bonjour")
        await ana.choose("TPE")
        page = await ana.choose("En savoir plus")
        pages = [page]
        while "1. Suivant ▶" in page:
            page = await ana.send("1")
            pages.append(page)
        assert len(pages) == 4 and "· 4/4" in pages[-1]
        assert "1. ◀ Précédent" in pages[-1]
        # Telegram keeps the arrows in reading order.
        menu = await maria.send("/start")
        topic = await maria.tap(menu, "TPE")
        first = await maria.tap(topic, "En savoir plus")
        second = await maria.tap(first, "Suivant")
        assert second.button_labels()[:2] == ["◀ Précédent", "Suivant ▶"]


@pytest.mark.parametrize("lang", ["fr", "es", "bg"])
async def test_extra_rows_come_after_the_menu_and_never_twice(lang: str) -> None:
    checked = await check_everything(ROOT / "config.example.yaml", thorough=False)
    person = Person("signal", "someone", "someone")
    profile = Profile(user_key="k", channel="signal", address="someone", language=lang)
    turn = Turn(
        Event(person, text="?"),
        profile,
        checked.config,
        checked.content,
        checked.catalogs,
        checked.matcher,
        datetime(2026, 11, 23, 10, tzinfo=UTC),
        None,  # type: ignore[arg-type]  # the menu reads no stored state
    )
    with use_language(checked.catalogs, lang):
        plain = main_menu(turn)
        talk = Option("💬 talk", "talk")
        emergency = Option("🆘 again", "emergency")
        new = Option("✨ new", "t:new")
        extended = main_menu(turn, "?", extra_rows=[[talk], [emergency, new]])
    choices = [option.action for row in plain.options for option in row]
    extended_choices = [option.action for row in extended.options for option in row]
    # The menu's own numbers do not move; the talk option is the menu's talk topic already.
    assert extended_choices == [*choices, "t:new"]

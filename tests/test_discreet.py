"""Discreet mode: what someone holding the phone can read says nothing telltale.

The welcome and its menu, the command list in the app, and reminders (which arrive with a
notification preview) avoid words that name sex work or hint that the chat has something to
hide; the organisation's own config chooses it (`discreet: true`, recommended).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.checks import check_everything
from bot.config import load_config
from bot.errors import ValidationFailed
from bot.reminders import send_due_reminders
from tests.booking_helpers import CODE, ENGLISH, book_rapid_test
from tests.conftest import ROOT, FakeClock, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser

BRUSSELS = ZoneInfo("Europe/Brussels")
LANGUAGES = ["fr", "nl", "en", "es", "pt", "ro", "bg"]

# The telltale words of SECURITY.md ("Discreet mode"), lower case, per language: what names
# sex work, and what says the chat is something to hide. English is checked everywhere too,
# since an interface string not yet translated shows in English.
TELLTALE = {
    "en": ["sex", "prostitut", "escort", "quick exit", "delete everything", "forget everything"],
    "fr": ["sexe", "prostitu", "tds", "sortie rapide", "tout effacer", "tout oublier"],
    "nl": ["seks", "prostitu", "snel weg", "snelle uitgang", "alles wissen", "alles over jou"],
    "es": ["sexual", "sexo", "prostitu", "salida rápida", "borrar todo"],
    "pt": ["sexo", "sexual", "prostitu", "saída rápida", "apagar tudo"],
    "ro": ["sex", "prostitu", "ieșire rapidă", "șterge tot"],
    "bg": ["секс", "проститу", "бърз изход", "изтрий всичко"],
}


def telltale_words(text: str, lang: str) -> list[str]:
    lowered = text.lower()
    return [word for word in {*TELLTALE[lang], *TELLTALE["en"]} if word in lowered]


@pytest.fixture
def org_config(tmp_path: Path, env: dict[str, str]) -> Path:
    """The example config, copied so a test can set `discreet` either way."""
    path = tmp_path / "config.yaml"
    path.write_text((ROOT / "config.example.yaml").read_text())
    env["BOT_CONFIG"] = str(path)
    return path


def set_discreet(path: Path, discreet: bool) -> None:
    config = yaml.safe_load(path.read_text())
    config["discreet"] = discreet
    path.write_text(yaml.safe_dump(config, allow_unicode=True))


def person_in(bot_api: FakeBotAPI, lang: str, number: int) -> TelegramPerson:
    return TelegramPerson(
        bot_api,
        FakeUser(id=5550007700 + number, first_name="Lena", username=None, language_code=lang),
    )


def command_list(bot_api: FakeBotAPI, lang: str) -> dict[str, str]:
    """The commands registered for private chats in `lang`, as the app shows them."""
    registered = bot_api.commands[("all_private_chats", lang)]
    return {command["command"]: command["description"] for command in registered}


def test_the_example_config_recommends_discreet_mode() -> None:
    assert load_config(ROOT / "config.example.yaml").discreet is True


async def test_a_discreet_setting_that_is_not_true_or_false_is_refused(org_config: Path) -> None:
    config = yaml.safe_load(org_config.read_text())
    config["discreet"] = "sometimes"
    org_config.write_text(yaml.safe_dump(config, allow_unicode=True))
    with pytest.raises(ValidationFailed) as caught:
        await check_everything(org_config, ROOT / "content")
    assert caught.value.problems == [
        f"{org_config}: discreet: Input should be a valid boolean, unable to interpret input"
    ]


async def test_discreet_welcome_has_no_telltale_word_in_any_language(
    running_bot: RunningBot, bot_api: FakeBotAPI, org_config: Path
) -> None:
    set_discreet(org_config, True)
    async with running_bot():
        for number, lang in enumerate(LANGUAGES):
            welcome = await person_in(bot_api, lang, number).send("/start")
            shown = "\n".join([welcome.text, *welcome.button_labels()])
            assert telltale_words(shown, lang) == [], shown
            # The way out is still on the first screen, in neutral words.
            assert any(label.startswith("🚪") for label in welcome.button_labels())
    english = bot_api.bot_messages(5550007702)[-1]
    assert english.text.startswith("Hello. I answer questions about health and rights")
    assert "🚪 Clear this chat" in english.button_labels()


async def test_without_discreet_mode_the_welcome_says_who_it_is_for(
    running_bot: RunningBot, maria: TelegramPerson, org_config: Path
) -> None:
    set_discreet(org_config, False)
    async with running_bot():
        welcome = await maria.send("/start")
    assert "travailleur·euses du sexe" in welcome.text
    assert "🚪 Sortie rapide" in welcome.button_labels()


async def test_discreet_command_list_in_the_app_is_neutral(
    running_bot: RunningBot, bot_api: FakeBotAPI, org_config: Path
) -> None:
    set_discreet(org_config, True)
    async with running_bot():
        sam = person_in(bot_api, "en", 20)
        help_page = (await sam.send("/help")).text
    for lang in ["", *LANGUAGES]:  # "" is the list for every other language
        commands = command_list(bot_api, lang)
        # The command names stay: people and the help page use them.
        assert {"forget", "clear", "privacy", "talk"} <= set(commands)
        shown = "\n".join(commands.values())
        assert telltale_words(shown, lang or "fr") == [], (lang, shown)
    english = command_list(bot_api, "en")
    assert english["forget"] == "delete my data"
    assert english["clear"] == "clear this chat"
    # The help page in the chat lists the same neutral descriptions.
    assert "– clear this chat" in help_page and "– delete my data" in help_page
    assert telltale_words(help_page, "en") == [], help_page


async def test_command_list_without_discreet_mode_keeps_the_plain_words(
    running_bot: RunningBot, bot_api: FakeBotAPI, org_config: Path
) -> None:
    set_discreet(org_config, False)
    async with running_bot():
        pass
    french = command_list(bot_api, "fr")
    assert french["clear"] == "sortie rapide : vider cette conversation"
    assert french["forget"] == "tout effacer à votre sujet"


async def remind(
    running_bot: RunningBot, bot_api: FakeBotAPI, clock: FakeClock, detailed: bool, button: str
) -> tuple[str, str, str]:
    """Books a rapid test through the real channel, then lets the clock reach its reminder:
    the code, the reminder's text, and what its `button` shows."""
    ana = person_in(bot_api, "en", 30)
    async with running_bot() as runtime:
        await ana.send("/start")
        if detailed:  # the person asks for the type in reminders
            types = await ana.tap(await ana.send("/menu"), "📅 Appointment")
            types = await ana.tap(types, "Book an appointment")
            days = await ana.tap(await ana.tap(types, "Rapid test"), "prefer not to say")
            confirm = await ana.tap(await ana.tap(days, "Thu, 26 Nov"), "10:00")
            confirm = await ana.tap(confirm, "Say the type in reminders")
            booked = await ana.tap(confirm, "Confirm")
            found = CODE.search(booked.text)
            assert found is not None, booked.text
            code = found.group(0)
            clock.now = datetime(2026, 11, 25, 18, 0, tzinfo=BRUSSELS)  # the evening before
        else:  # Tuesday 24 November 13:30
            code, _booked = await book_rapid_test(ana, ENGLISH)
            clock.now = datetime(2026, 11, 23, 18, 0, tzinfo=BRUSSELS)
        before = len(bot_api.bot_messages(ana.user.id))
        assert await send_due_reminders(runtime.conversation) == 1
        reminder = bot_api.bot_messages(ana.user.id)[before]
        shown = reminder.text  # tapping a button below it edits it in place
        offered = any(button in label for label in reminder.button_labels())
        opened = (await ana.tap(reminder, button)).text if offered else ""
    return code, shown, opened


REVEALING = ("Rue Desandrouin", "6000", "Charleroi", "Entre 2", "📍")


async def test_discreet_reminder_has_the_code_and_time_but_no_place(
    running_bot: RunningBot, bot_api: FakeBotAPI, clock: FakeClock, org_config: Path
) -> None:
    set_discreet(org_config, True)
    code, reminder, where = await remind(running_bot, bot_api, clock, False, "Where is it?")
    assert code in reminder and "13:30" in reminder, reminder
    assert [word for word in REVEALING if word in reminder] == [], reminder
    # Where it is stays one tap away, inside the chat.
    assert "Rue Desandrouin 13, 6000 Charleroi" in where


async def test_discreet_reminder_with_the_type_still_hides_the_place(
    running_bot: RunningBot, bot_api: FakeBotAPI, clock: FakeClock, org_config: Path
) -> None:
    set_discreet(org_config, True)
    code, reminder, _where = await remind(running_bot, bot_api, clock, True, "Where is it?")
    # The person chose to see the type, not the address.
    assert (
        "Reminder: Rapid test (HIV, syphilis, hepatitis C), Thursday, 26 November, 10:00."
        in reminder
    )
    assert code in reminder, reminder
    assert [word for word in REVEALING if word in reminder] == [], reminder


async def test_reminder_without_discreet_mode_gives_the_address(
    running_bot: RunningBot, bot_api: FakeBotAPI, clock: FakeClock, org_config: Path
) -> None:
    set_discreet(org_config, False)
    code, reminder, _mine = await remind(running_bot, bot_api, clock, False, "My appointments")
    assert code in reminder and "Rue Desandrouin 13, 6000 Charleroi" in reminder

"""Commands people guess: aliases per language, unknown commands read as text, /help, and the
content check that refuses aliases that clash."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.checks import check_everything
from bot.errors import ValidationFailed
from tests.conftest import ROOT, RunningBot, SignalPerson, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser

NOT_VALID = "Ce bouton n'est plus valable"
NO_APPOINTMENT = "Vous n'avez pas de rendez-vous à venir."


async def test_guessed_commands_on_telegram(running_bot: RunningBot, maria: TelegramPerson) -> None:
    async with running_bot():
        await maria.send("/start")
        help_text = (await maria.send("/aide")).text
        assert "Comment utiliser ce bot" in help_text
        # Every command the person can use, with the alias of their language.
        for line in (
            "/talk ou /parler – parler à une personne",
            "/appointments ou /rdv – mes rendez-vous",
            "/privacy ou /confidentialite – ",
            "/forget ou /oublier – ",
            "/clear ou /sortir – ",
            "/language ou /langue – changer de langue",
            "/menu ou /accueil – la liste des sujets",
        ):
            assert line in help_text, help_text
        # An unknown command is read as typed text: /tpe finds PEP, never "button not valid".
        pep = (await maria.send("/tpe")).text
        assert pep.startswith("TPE"), pep
        for command in ("/appointment", "/appointments", "/rdv", "/Rendez_vous"):
            assert NO_APPOINTMENT in (await maria.send(command)).text, command
        # Aliases of other languages work for everyone: people mix.
        assert "Comment utiliser ce bot" in (await maria.send("/hulp")).text
        assert "Comment utiliser ce bot" in (await maria.send("/ajutor")).text
        assert "Comment utiliser ce bot" in (await maria.send("/помощ")).text
        assert "Choisissez votre langue" in (await maria.send("/taal")).text
        nothing = (await maria.send("/xyzzy")).text
        assert NOT_VALID not in nothing
        assert "pas sûr d'avoir compris" in nothing


async def test_english_help_and_the_singular_appointment(
    running_bot: RunningBot, bot_api: FakeBotAPI
) -> None:
    sam = TelegramPerson(
        bot_api, FakeUser(id=5550004321, first_name="Sam", username=None, language_code="en")
    )
    async with running_bot():
        help_text = (await sam.send("/help")).text
        assert "/appointments or /appointment – my appointments" in help_text
        assert "/clear or /exit – clear this chat" in help_text  # discreet wording
        assert "You have no appointment coming up." in (await sam.send("/appointment")).text


async def test_aliases_without_a_slash_on_signal(
    running_bot: RunningBot, ana: SignalPerson, staff_chat: int
) -> None:
    async with running_bot():
        await ana.send("bonjour")
        help_text = await ana.send("aide")
        assert "Comment utiliser ce bot" in help_text
        # No slash on Signal: the words as they are typed there.
        assert "talk ou parler – parler à une personne" in help_text
        assert "/talk" not in help_text
        # Cyrillic typed as text finds the Bulgarian alias written in Latin letters.
        assert "Comment utiliser ce bot" in await ana.send("Помощ")
        assert NO_APPOINTMENT in await ana.send("Rendez-vous")
        assert NO_APPOINTMENT in await ana.send("/rdv")
        # Only the whole message is an alias: a question that starts with one is a question.
        prep = await ana.send("aide pour la prep")
        assert prep.startswith("PrEP"), prep
        # While writing to the team, an alias typed alone is a message for the team.
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        sent = await ana.send("ajutor")
        assert "Envoyé" in sent and "Comment utiliser ce bot" not in sent
        # So is a built-in command word typed alone ("help" to the team is a cry, not a menu).
        assert "Comment utiliser ce bot" not in await ana.send("help")


# --- content check --------------------------------------------------------------------------
@pytest.fixture
def org(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path


def edit_aliases(org: Path, lang: str, change: Any) -> Path:
    path = org / "content" / lang / "commands.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


async def problems(org: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        await check_everything(org / "config.yaml", org / "content", thorough=False)
    return caught.value.problems


async def test_an_alias_that_is_a_command_already(org: Path) -> None:
    path = edit_aliases(org, "fr", lambda d: d["help"].append("menu"))
    assert await problems(org) == [f"{path}: help: 'menu' is already a command"]


async def test_one_alias_for_two_commands_in_one_language(org: Path) -> None:
    path = edit_aliases(org, "fr", lambda d: d["talk"].append("aide"))
    assert await problems(org) == [f"{path}: talk: 'aide' is already an alias of 'help' in {path}"]


async def test_one_alias_for_two_commands_across_languages(org: Path) -> None:
    path = edit_aliases(org, "nl", lambda d: d["help"].append("rdv"))
    french = org / "content" / "fr" / "commands.yaml"
    assert await problems(org) == [
        f"{path}: help: 'rdv' is already an alias of 'appointments' in {french}"
    ]


async def test_the_same_alias_for_the_same_command_in_two_languages_is_fine(org: Path) -> None:
    edit_aliases(org, "nl", lambda d: d["help"].append("aide"))
    await check_everything(org / "config.yaml", org / "content", thorough=False)


async def test_an_alias_for_an_unknown_command(org: Path) -> None:
    path = edit_aliases(org, "fr", lambda d: d.update(bonjour=["salut"]))
    found = await problems(org)
    assert len(found) == 1 and found[0].startswith(f"{path}: bonjour: unknown command (known: ")


@pytest.mark.parametrize("name", ["Aide", "помощ", "rendez-vous", "a" * 33, "", "112"])
async def test_an_alias_telegram_would_refuse(org: Path, name: str) -> None:
    path = edit_aliases(org, "fr", lambda d: d["help"].append(name))
    found = await problems(org)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}: ") and f"help: {name!r} cannot be a command" in found[0]


async def test_a_missing_aliases_file(org: Path) -> None:
    path = org / "content" / "ro" / "commands.yaml"
    path.unlink()
    assert await problems(org) == [f"{path}: file not found"]

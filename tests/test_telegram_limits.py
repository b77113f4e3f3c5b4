"""Telegram's limits: escaped HTML for every dynamic value, 4096-character pages split."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.conftest import ROOT, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI


def _custom_org(tmp_path: Path, env: dict[str, str]) -> None:
    config = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    config["locations"][0]["name"] = 'Bar <Chez Zoé & Co> "Le Parapluie"'
    config["locations"][0]["address"] = "Rue <b>des Fleurs</b> 3 & 5"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    shutil.copytree(ROOT / "content", tmp_path / "content")
    paragraph = "Phrase de test avec des <signes> & des **mots** importants. " * 12
    # Every language gets the page: they must all have the same pages.
    for pep in (tmp_path / "content").glob("*/pep.yaml"):
        data = yaml.safe_load(pep.read_text())
        long_page = {"title": "Très longue page", "body": "\n\n".join([paragraph] * 12)}
        data["pages"].insert(0, long_page)
        pep.write_text(yaml.safe_dump(data, allow_unicode=True))
    topics = tmp_path / "content" / "topics.yaml"
    index = yaml.safe_load(topics.read_text())
    index["urgent"]["exposure"]["pages"] = [2, 4]  # the same pages, one further on
    topics.write_text(yaml.safe_dump(index, allow_unicode=True))
    env["BOT_CONFIG"] = str(tmp_path / "config.yaml")
    env["BOT_CONTENT"] = str(tmp_path / "content")


async def test_dynamic_values_are_escaped_and_long_pages_are_split(
    running_bot: RunningBot,
    maria: TelegramPerson,
    bot_api: FakeBotAPI,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    _custom_org(tmp_path, env)
    async with running_bot():
        menu = await maria.send("/start")
        places = await maria.tap(menu, "Où nous trouver")
        assert 'Bar <Chez Zoé & Co> "Le Parapluie"' in places.text
        place = await maria.tap(places, "Chez Zoé")
        assert "Rue <b>des Fleurs</b> 3 & 5" in place.text

        menu = await maria.tap(place, "Menu")
        topic = await maria.tap(menu, "TPE")
        page = await maria.tap(topic, "En savoir plus")
        # The message is edited in place: keep what each screen showed.
        screens = [(page.text, page.html)]
        while "Très longue page" in page.text:
            page = await maria.tap(page, "Suivant")
            screens.append((page.text, page.html))
    long_screens = [text for text, _html in screens[:-1]]
    assert len(long_screens) >= 3, "a page of ~9000 characters needs at least three screens"
    assert all(len(text) <= 4096 for text in long_screens)
    assert all("<signes> & des mots importants" in text for text in long_screens)
    assert all("<b>mots</b>" in html for _text, html in screens[:-1])
    # Every paragraph made it, none was cut in the middle.
    shown = sum(text.count("Phrase de test") for text in long_screens)
    assert shown == 12 * 12
    assert not any("BUTTON_DATA_INVALID" in str(params) for _name, params in bot_api.calls)

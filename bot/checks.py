"""`python -m bot content check`: the config and every page in every language, rendered.

Structural problems are found while loading (bot/config.py, bot/content.py); this adds what
needs both together: actions pointing at real places, includes of known blocks, every rendered
screen within Telegram's limit, and review dates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast, get_args

from bot.app import build_conversation
from bot.commands import alias_problems
from bot.config import Config, PartnerKind, load_config
from bot.content import CONTENT_DIR, Content, load_content
from bot.conversation import Event, Person, Turn
from bot.errors import ValidationFailed
from bot.handlers.topics import show_page, show_sources, show_topic, topic_screens
from bot.handlers.urgent import urgent_reply
from bot.i18n import LOCALES_DIR, Catalogs, use_language
from bot.keywords import KEYWORDS_FILE, load_keywords, normalise
from bot.matching import Matcher
from bot.smalltalk import load_small_talk
from bot.store import Keys, Profile, Store

TELEGRAM_TEXT_LIMIT = 4096


@dataclass
class CheckResult:
    config: Config
    content: Content
    catalogs: Catalogs
    matcher: Matcher
    warnings: list[str] = field(default_factory=list)


def _probe_turn(
    config: Config, content: Content, catalogs: Catalogs, matcher: Matcher, lang: str
) -> Turn:
    person = Person(channel="check", platform_id="check", address="check")
    profile = Profile(user_key="check", channel="check", address="check", language=lang)
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    # Rendering content reads no state: no store is needed to check it.
    no_store = cast(Store, None)
    return Turn(
        Event(person, action="check"), profile, config, content, catalogs, matcher, now, no_store
    )


def fingerprint(config_path: Path, content_dir: Path, locales_dir: Path = LOCALES_DIR) -> str:
    """Changes whenever the config, the content, the translations or the code change: names,
    sizes and modification times of their files (a few milliseconds for ~200 files)."""
    code_dir = Path(__file__).resolve().parent
    files = [config_path, *content_dir.rglob("*"), *locales_dir.rglob("*"), *code_dir.rglob("*.py")]
    digest = hashlib.sha256()
    for path in sorted(files):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _unknown_include(name: str, config: Config, partner_kinds: set[str]) -> str | None:
    """Why a block named in content cannot be rendered from this config, if it cannot."""
    if name.startswith("partners:") and name[9:] not in partner_kinds:
        return f"unknown partner kind {name[9:]!r} (known: {', '.join(sorted(partner_kinds))})"
    if name.startswith("emergency:") and not any(
        entry.kind.startswith(name[10:]) for entry in config.emergency_numbers
    ):
        return f"no emergency number of kind {name[10:]!r} in the config"
    return None


async def check_everything(
    config_path: Path,
    content_dir: Path = CONTENT_DIR,
    locales_dir: Path = LOCALES_DIR,
    today: date | None = None,
    thorough: bool = True,
) -> CheckResult:
    """Everything is loaded and validated every time. `thorough=False` skips the two slowest
    checks (the same facts in every language, every page rendered in every language), which
    the bot does only when the fingerprint above changed since they last passed."""
    config = load_config(config_path)
    content = load_content(list(config.languages), content_dir)
    problems: list[str] = []
    try:
        catalogs = Catalogs(list(config.languages), locales_dir)
    except FileNotFoundError as exc:
        raise ValidationFailed([f"{exc.filename}: missing: interface strings catalog"]) from exc
    ids = {p.id for p in config.locations} | {p.id for p in config.partners}
    partner_kinds = set(get_args(PartnerKind))
    index_path = content_dir / "topics.yaml"
    for topic_id, meta in content.index.topics.items():
        for action in meta.actions:
            if action.startswith("call:") and action[5:] not in ids:
                problems.append(
                    f"{index_path}: topics.{topic_id}.actions: {action!r} names no place or "
                    f"partner in {config_path}"
                )
    for kind, answer in content.index.urgent.items():
        for name in answer.include:
            if problem := _unknown_include(name, config, partner_kinds):
                problems.append(f"{index_path}: urgent.{kind}.include: {problem}")
    warnings: list[str] = []
    today = today or datetime.now(UTC).date()
    for lang in config.languages:
        for topic_id, text in content.texts[lang].items():
            path = content_dir / lang / f"{topic_id}.yaml"
            for index, page in enumerate(text.pages):
                for name in page.include:
                    if problem := _unknown_include(name, config, partner_kinds):
                        problems.append(f"{path}: pages.{index}.include: {problem}")
            if text.review.next_review < today:
                warnings.append(
                    f"{path}: review.next_review: {text.review.next_review} is past; "
                    "have this page checked again"
                )
    matcher = _load_matcher(config, content, content_dir, problems)
    # Aliases are checked against the commands bot/app.py actually wires; nothing is stored.
    wired = build_conversation(
        cast(Store, None), cast(Keys, None), config, content, catalogs, matcher
    )
    problems += alias_problems(content.commands, wired.builtin_commands, content_dir)
    if not problems and thorough:
        problems += _check_same_facts(config, content, content_dir, matcher)
    if problems:
        raise ValidationFailed(problems)
    if thorough:
        problems += await _check_rendering(config, content, catalogs, content_dir, matcher)
    if problems:
        raise ValidationFailed(problems)
    return CheckResult(config, content, catalogs, matcher, warnings)


def _load_matcher(
    config: Config, content: Content, content_dir: Path, problems: list[str]
) -> Matcher:
    """Keywords of every configured language are required; other languages' keywords, where
    present, help understand someone typing in a language the bot does not answer in yet."""
    languages = list(config.languages) + sorted(
        path.parent.name
        for path in content_dir.glob(f"*/{KEYWORDS_FILE}")
        if path.parent.name not in config.languages
    )
    try:
        keywords = load_keywords(content_dir, languages)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
        keywords = {}
    for lang, entry in keywords.items():
        for topic_id in entry.topics:
            if topic_id not in content.index.topics:
                problems.append(
                    f"{content_dir / lang / KEYWORDS_FILE}: topics.{topic_id}: unknown topic"
                )
    urgent_topics: dict[str, str] = {k: answer.topic for k, answer in content.index.urgent.items()}
    matcher = Matcher(keywords, list(content.index.menu), urgent_topics)
    try:
        matcher.small_talk = load_small_talk(content_dir, list(config.languages))
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    return matcher


PHONE = re.compile(r"(?<!\d)(?<!\d[.,])(?:0\d{2,3}(?:[ ./]?\d{2,3}){2,3}|1\d{2,3})(?!\d)(?![.,]\d)")
URL = re.compile(r"https?://[^\s)]+")
SPAN_UNITS = ("hour", "day", "week", "month")
AROUND_THE_CLOCK = re.compile(r"\b24 ?h ?/ ?24(, 7 ?j ?/ ?7)?", re.IGNORECASE)


def facts_in(text: str, units: dict[str, set[str]]) -> set[str]:
    """Phone numbers, URLs and time spans ("72 hours" -> "72 hour") in a text."""
    # "24 h/24, 7 j/7" is how French says 24/7: an opening time, not a delay.
    text = AROUND_THE_CLOCK.sub("24/7", text)
    found = {f"phone {re.sub(r'[ ./]', '', m)}" for m in PHONE.findall(text)}
    found |= {f"url {u.rstrip('.,;')}" for u in URL.findall(text)}
    words = normalise(text)
    for index, word in enumerate(words):
        if not word.isdigit():
            continue
        # "72 de ore": one short word may stand between the number and its unit.
        following = words[index + 1 : index + 3]
        if len(following) == 2 and len(following[0]) <= 2 and not following[0].isdigit():
            candidates = following
        else:
            candidates = following[:1]
        for unit in SPAN_UNITS:
            if any(c in units[unit] for c in candidates):
                found.add(f"span {word} {unit}")
                break
    return found


def _check_same_facts(
    config: Config, content: Content, content_dir: Path, matcher: Matcher
) -> list[str]:
    """A number, link or delay said in one language is said identically in every other."""
    problems: list[str] = []
    for topic_id in content.index.topics:
        facts: dict[str, set[str]] = {}
        for lang in config.languages:
            text = content.texts[lang][topic_id]
            words = [text.title, text.short, *(f"{p.title}\n{p.body}" for p in text.pages)]
            facts[lang] = facts_in("\n".join(words), matcher.units_of(lang))
        _compare(facts, config.languages, content_dir, f"{topic_id}.yaml", problems)
    notes: dict[str, set[str]] = {
        lang: facts_in("\n".join(content.notes[lang].model_dump().values()), matcher.units_of(lang))
        for lang in config.languages
    }
    _compare(notes, config.languages, content_dir, "notes.yaml", problems)
    return problems


def _compare(
    facts: Mapping[str, set[str]],
    languages: Sequence[str],
    content_dir: Path,
    filename: str,
    problems: list[str],
) -> None:
    reference = languages[0]
    for lang in languages[1:]:
        path = content_dir / lang / filename
        for fact in sorted(facts[reference] - facts[lang]):
            problems.append(f"{path}: text: {fact!r} is in the {reference} text but not here")
        for fact in sorted(facts[lang] - facts[reference]):
            problems.append(f"{path}: text: {fact!r} is not in the {reference} text")


async def _check_rendering(
    config: Config, content: Content, catalogs: Catalogs, content_dir: Path, matcher: Matcher
) -> list[str]:
    problems = []
    for lang in config.languages:
        with use_language(catalogs, lang):
            for topic_id in content.index.topics:
                turn = _probe_turn(config, content, catalogs, matcher, lang)
                path = content_dir / lang / f"{topic_id}.yaml"
                replies = [
                    *await show_topic(turn, [topic_id]),
                    *await show_sources(turn, [topic_id]),
                ]
                for index in range(len(topic_screens(turn, topic_id))):
                    replies += await show_page(turn, [topic_id, str(index)])
                replies += [
                    urgent_reply(turn, kind, [])
                    for kind, answer in content.index.urgent.items()
                    if answer.topic == topic_id
                ]
                for reply in replies:
                    if len(reply.text) > TELEGRAM_TEXT_LIMIT:
                        problems.append(
                            f"{path}: short: the answer is {len(reply.text)} characters; "
                            f"Telegram allows {TELEGRAM_TEXT_LIMIT}"
                        )
    return problems

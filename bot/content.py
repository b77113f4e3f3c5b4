"""Vetted content: topics, their pages, sources and review dates, per language.

Layout:
  content/topics.yaml         the menu order, and per topic: related topics, actions, sources
  content/<lang>/language.yaml  the language's name and whether a native speaker reviewed it
  content/<lang>/commands.yaml  the words people type for a command (bot/commands.py)
  content/<lang>/<topic>.yaml   the words: title, short answer, detail pages, review metadata
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.commands import COMMANDS_FILE, CommandAliases
from bot.errors import ValidationFailed, describe, load_yaml
from bot.resources import CONTENT_DIR

M = TypeVar("M", bound="BaseModel")
# Files beside the topics in a language folder.
NOT_TOPICS = {"language.yaml", "keywords.yaml", "notes.yaml", "smalltalk.yaml", "commands.yaml"}
TOPIC_ID = r"^[a-z][a-z0-9_]{0,23}$"  # short: topic ids travel in 64-byte button data
# `call:<location id>` shows that place's numbers; the others open a screen of their own.
ACTION_PATTERN = r"^(book|appointments|talk|emergency|services|call:[a-z0-9_-]+)$"
INCLUDE_PATTERN = r"^(locations|emergency(:[a-z_]+)?|retention|partners:[a-z_]+)$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    title: str
    # A public page, or a document of this project (for what the bot itself does).
    url: Annotated[str, Field(pattern=r"^(https?://\S+|[A-Za-z0-9_-]+\.md)$")]


class TopicMeta(Strict):
    related: list[Annotated[str, Field(pattern=TOPIC_ID)]] = Field(default_factory=list)
    actions: list[Annotated[str, Field(pattern=ACTION_PATTERN)]] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)


class UrgentAnswer(Strict):
    """Which topic's short answer comes first for an urgent question, with which blocks."""

    topic: Annotated[str, Field(pattern=TOPIC_ID)]
    # Detail pages of that topic (counted from 0) whose text is added after the short answer.
    pages: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)
    include: list[Annotated[str, Field(pattern=INCLUDE_PATTERN)]] = Field(default_factory=list)


UrgentKind = Literal["suicide", "exposure", "sexual_violence", "violence", "exploitation"]


class ContentIndex(Strict):
    menu: list[Annotated[str, Field(pattern=TOPIC_ID)]] = Field(min_length=1)
    topics: dict[Annotated[str, Field(pattern=TOPIC_ID)], TopicMeta]
    urgent: dict[UrgentKind, UrgentAnswer]

    @field_validator("urgent")
    @classmethod
    def _every_kind(cls, value: dict[str, UrgentAnswer]) -> dict[str, UrgentAnswer]:
        missing = set(get_args(UrgentKind)) - set(value)
        if missing:
            raise ValueError(f"no urgent answer for {', '.join(sorted(missing))}")
        return value


class LanguageInfo(Strict):
    name: str
    native_review: bool
    reviewed_by: str | None = None


class Review(Strict):
    reviewed_by: str
    reviewed_on: date
    next_review: date


class Page(Strict):
    title: str
    body: str = ""
    include: list[Annotated[str, Field(pattern=INCLUDE_PATTERN)]] = Field(default_factory=list)

    @field_validator("body")
    @classmethod
    def _paragraphs_fit(cls, value: str) -> str:
        # Pages are split between paragraphs to fit Telegram's 4096 characters; one paragraph
        # must therefore fit on its own with room for the title and buttons.
        for paragraph in value.split("\n\n"):
            if len(paragraph) > 3000:
                raise ValueError("a paragraph is longer than 3000 characters; split it")
        return value


class TopicText(Strict):
    title: str
    button: Annotated[str, Field(max_length=40)]
    short: str
    pages: list[Page] = Field(default_factory=list)
    review: Review


class Notes(Strict):
    """Short vetted texts used inside flows rather than as topics."""

    booking_risk_recent: str
    booking_risk_window: str


@dataclass(frozen=True)
class Content:
    index: ContentIndex
    languages: dict[str, LanguageInfo]
    texts: dict[str, dict[str, TopicText]]
    notes: dict[str, Notes]
    # Command aliases per language; every language's work for everyone (bot/commands.py).
    commands: dict[str, CommandAliases] = field(default_factory=dict)

    def topic(self, lang: str, topic_id: str) -> TopicText | None:
        return self.texts.get(lang, {}).get(topic_id)

    def meta(self, topic_id: str) -> TopicMeta | None:
        return self.index.topics.get(topic_id)


def _parse(model: type[M], path: Path, problems: list[str]) -> M | None:
    try:
        data = load_yaml(path)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(describe(exc, path, data))
        return None


def load_content(languages: list[str], content_dir: Path = CONTENT_DIR) -> Content:
    """Load and check the structure of every topic in every language; all problems at once."""
    problems: list[str] = []
    index = _parse(ContentIndex, content_dir / "topics.yaml", problems)
    infos: dict[str, LanguageInfo] = {}
    texts: dict[str, dict[str, TopicText]] = {}
    notes: dict[str, Notes] = {}
    commands: dict[str, CommandAliases] = {}
    if index is not None:
        index_path = content_dir / "topics.yaml"
        for topic_id in index.menu:
            if topic_id not in index.topics:
                problems.append(f"{index_path}: menu: topic {topic_id!r} is not defined")
        for kind, answer in index.urgent.items():
            if answer.topic not in index.topics:
                problems.append(
                    f"{index_path}: urgent.{kind}.topic: unknown topic {answer.topic!r}"
                )
        for topic_id, meta in index.topics.items():
            for related in meta.related:
                if related not in index.topics:
                    problems.append(
                        f"{index_path}: topics.{topic_id}.related: unknown topic {related!r}"
                    )
        for lang in languages:
            lang_dir = content_dir / lang
            if not lang_dir.is_dir():
                problems.append(f"{lang_dir}: missing: no content for configured language {lang}")
                continue
            info = _parse(LanguageInfo, lang_dir / "language.yaml", problems)
            if info is not None:
                infos[lang] = info
            lang_notes = _parse(Notes, lang_dir / "notes.yaml", problems)
            if lang_notes is not None:
                notes[lang] = lang_notes
            aliases = _parse(CommandAliases, lang_dir / COMMANDS_FILE, problems)
            if aliases is not None:
                commands[lang] = aliases
            texts[lang] = {}
            for topic_id in index.topics:
                path = lang_dir / f"{topic_id}.yaml"
                if not path.exists():
                    problems.append(f"{path}: missing: topic {topic_id!r} has no {lang} text")
                    continue
                text = _parse(TopicText, path, problems)
                if text is not None:
                    texts[lang][topic_id] = text
            for path in sorted(lang_dir.glob("*.yaml")):
                if path.stem not in index.topics and path.name not in NOT_TOPICS:
                    problems.append(f"{path}: unknown topic (not in topics.yaml)")
    if index is not None and not problems:
        problems += _check_same_structure(index, texts, content_dir)
    if problems or index is None:
        raise ValidationFailed(problems)
    return Content(index=index, languages=infos, texts=texts, notes=notes, commands=commands)


def _check_same_structure(
    index: ContentIndex, texts: dict[str, dict[str, TopicText]], content_dir: Path
) -> list[str]:
    """Every language has the same pages with the same blocks, so page numbers mean the same
    thing everywhere (buttons, urgent answers)."""
    problems: list[str] = []
    languages = list(texts)
    if not languages:
        return problems
    reference = languages[0]
    for topic_id in index.topics:
        expected = [page.include for page in texts[reference][topic_id].pages]
        for lang in languages[1:]:
            found = [page.include for page in texts[lang][topic_id].pages]
            if found != expected:
                problems.append(
                    f"{content_dir / lang / topic_id}.yaml: pages: {len(found)} pages with "
                    f"includes {found}, but {reference} has {len(expected)} with {expected}"
                )
    for kind, answer in index.urgent.items():
        count = len(texts[reference][answer.topic].pages) if answer.topic in index.topics else 0
        for page in answer.pages:
            if page >= count:
                problems.append(
                    f"{content_dir / 'topics.yaml'}: urgent.{kind}.pages: {answer.topic} has no "
                    f"page {page} (it has {count}, counted from 0)"
                )
    return problems

"""Topic screens: the short answer first, then detail pages, sources and related topics."""

from __future__ import annotations

from babel.dates import format_date

from bot.content import TopicText
from bot.conversation import (
    Option,
    Reply,
    StaleAction,
    Turn,
    escape,
    has_buttons,
    render_markup,
)
from bot.dates import colon, locale_for
from bot.handlers.places import menu_row, render_include
from bot.i18n import _

# Telegram allows 4096 characters per message; keep room for the page header.
SCREEN_LIMIT = 3900


def action_label(action: str, turn: Turn) -> str:
    if action == "book":
        return "📅 " + _("Book an appointment")
    if action == "appointments":
        return "🗓 " + _("My appointments")
    if action == "talk":
        return "💬 " + _("Talk to a person")
    if action == "emergency":
        return "🆘 " + _("Emergency numbers")
    if action == "services":
        return "📍 " + _("Where to find us")
    target = action.split(":", 1)[1]
    place = turn.config.location(target)
    name = place.name if place else next(p.name for p in turn.config.partners if p.id == target)
    return "📞 " + _("Call {name}").format(name=name)


def _text(turn: Turn, topic_id: str) -> TopicText:
    text = turn.content.topic(turn.lang, topic_id)
    if text is None:
        raise StaleAction
    return text


def split_screens(body: str, limit: int = SCREEN_LIMIT) -> list[str]:
    """Split between paragraphs so that no screen exceeds `limit` characters."""
    screens: list[str] = []
    current = ""
    for paragraph in body.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit or not current:
            current = candidate
        else:
            screens.append(current)
            current = paragraph
    if current:
        screens.append(current)
    return screens


def topic_screens(turn: Turn, topic_id: str) -> list[tuple[str, str]]:
    """Every detail screen of a topic as (page title, HTML body), long pages split."""
    screens: list[tuple[str, str]] = []
    for page in _text(turn, topic_id).pages:
        blocks = [render_markup(page.body)] if page.body.strip() else []
        blocks += [block for name in page.include if (block := render_include(turn, name))]
        for chunk in split_screens("\n\n".join(blocks)):
            screens.append((page.title, chunk))
    return screens


def topic_buttons(turn: Turn, topic_id: str) -> list[list[Option]]:
    meta = turn.content.meta(topic_id)
    assert meta is not None
    # "appointments" is the one action whose button name differs from the action's.
    rows = [
        [Option(action_label(action, turn), "ba" if action == "appointments" else action)]
        for action in meta.actions
    ]
    related = [
        Option(text.button, f"t:{other}")
        for other in meta.related
        if (text := turn.content.topic(turn.lang, other)) is not None
    ]
    rows += [related[i : i + 2] for i in range(0, len(related), 2)]
    return rows


async def show_topic(turn: Turn, args: list[str]) -> list[Reply]:
    topic_id = args[0] if args else ""
    text = _text(turn, topic_id)
    # "The topic they came from" is what the team sees if the person then asks for a person.
    turn.profile.state["last_topic"] = topic_id
    body = f"<b>{escape(text.title)}</b>\n\n{render_markup(text.short)}"
    options: list[list[Option]] = []
    if text.pages:
        options.append([Option("📖 " + _("Read more"), f"p:{topic_id}:0")])
    options += topic_buttons(turn, topic_id)
    options.append([Option(_("Sources"), f"src:{topic_id}"), *menu_row()])
    return [Reply(body, options, replace=turn.event.action is not None)]


async def show_page(turn: Turn, args: list[str]) -> list[Reply]:
    if len(args) != 2 or not args[1].isdecimal():
        raise StaleAction
    topic_id, index = args[0], int(args[1])
    screens = topic_screens(turn, topic_id)
    if index >= len(screens):
        raise StaleAction
    title, body = screens[index]
    header = f"<b>{escape(title)}</b> · {index + 1}/{len(screens)}"
    # Numbered choices (Signal, the terminal) list "next" first, so that 1 means "next" on
    # every page; buttons stay side by side in reading order: ◀ Previous, Next ▶.
    nav: list[Option] = []
    if index + 1 < len(screens):
        nav.append(Option(_("Next") + " ▶", f"p:{topic_id}:{index + 1}"))
    if index > 0:
        nav.append(Option("◀ " + _("Previous"), f"p:{topic_id}:{index - 1}"))
    if has_buttons(turn.event.person):
        nav.reverse()
    topic_title = _text(turn, topic_id).button
    options = [nav] if nav else []
    options.append([Option("↩ " + topic_title, f"t:{topic_id}"), *menu_row()])
    return [Reply(f"{header}\n\n{body}", options, replace=True)]


async def show_sources(turn: Turn, args: list[str]) -> list[Reply]:
    topic_id = args[0] if args else ""
    text = _text(turn, topic_id)
    meta = turn.content.meta(topic_id)
    assert meta is not None
    lines = [f"<b>{escape(_('Sources') + colon(turn.lang))} {escape(text.title)}</b>", ""]
    lines += [f'• <a href="{escape(s.url)}">{escape(s.title)}</a>' for s in meta.sources]
    review = text.review
    lines += [
        "",
        escape(
            _("Checked by {who} on {date}. Next check: {next}.").format(
                who=review.reviewed_by,
                date=format_date(review.reviewed_on, "long", locale=locale_for(turn.lang)),
                next=format_date(review.next_review, "long", locale=locale_for(turn.lang)),
            )
        ),
    ]
    options = [[Option("↩ " + text.button, f"t:{topic_id}"), *menu_row()]]
    return [Reply("\n".join(lines), options, replace=True)]

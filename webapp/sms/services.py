"""The text-message conversation: a query in any shipped language (with a place, maybe), HELP,
MORE and LANG, answered from the same search engine as the directory.

Nothing about the sender is stored or logged: the conversation (last query, place, how many
listings were sent, language) is kept for 30 minutes in the shared state under an
hourly-rotating keyed hash of the number, and the same hash counts messages for the rate
limit. A reply is at most three SMS segments in all, counted as the network counts them
(GSM-7 or UCS-2); it is shortened, never transliterated, to fit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import refresh

from webapp import i18n, state
from webapp.directory import presenters
from webapp.directory.hotlines import country_lines
from webapp.directory.queries import first_lines, load_services
from webapp.search import places, search
from webapp.security import RotatingTagger, limiter
from webapp.sms import language, segments

KEEP_SECONDS = 30 * 60
# How long a provider's message id is remembered: far longer than any provider retries, and
# than the 5 minutes a signed Vonage timestamp is accepted.
REPLAY_SECONDS = 24 * 3600
PER_REPLY = 3
MAX_SEGMENTS = 3
MAX_TEXT = 300
ELLIPSIS = "…"


@dataclass
class Conversation:
    """What is kept between two messages of one sender (never the number itself)."""

    lang: str = ""
    fixed: bool = False  # chosen with LANG: kept whatever language later messages are in
    q: str = ""
    near: list[float] | None = None
    sent: int = 0

    def dump(self) -> bytes:
        """JSON bytes for the shared state."""
        return json.dumps(self.__dict__, ensure_ascii=False).encode()

    @classmethod
    def load(cls, raw: bytes | None) -> Conversation:
        """From the shared state (a fresh one when absent or unreadable)."""
        try:
            data = json.loads(raw) if raw else {}
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return cls()


@dataclass
class Reply:
    """The messages to send back, and the language they are in."""

    lang: str
    messages: list[str] = field(default_factory=list)

    def segments(self) -> int:
        """What the reply costs in SMS segments."""
        return sum(segments.count(m).segments for m in self.messages)


def sender_key(sender: str) -> str:
    """The hourly-rotating keyed hash the conversation and the rate limit use (the app's one
    tagger, made by security.init_app, the one that tags client addresses)."""
    digits = "".join(ch for ch in sender if ch.isdigit() or ch == "+")
    tagger: RotatingTagger = current_app.extensions["haven_tagger"]
    return tagger.tag("sms:" + (digits or sender))


def use_language(tag: str) -> None:
    """Speak this language for the rest of the request (gettext, presenters, dates)."""
    g.locale_info = i18n.BY_TAG.get(tag, i18n.DEFAULT)
    refresh()


def default_language() -> str:
    """The deployment's language for messages that do not say (HAVEN_SMS_LANGUAGE)."""
    tag = current_app.config.get("HAVEN_SMS_LANGUAGE", "en")
    return tag if tag in i18n.BY_TAG else "en"


@contextlib.contextmanager
def first_delivery(provider: str, message_id: str) -> Iterator[bool]:
    """Whether this signed message is new: False when the same provider message id came in
    the last REPLAY_SECONDS (a replayed request, or a retry of one already answered), which
    the caller answers as a success without processing it again. Only a hash of the id is
    kept, in the shared state; no id ('') always counts as new. Should the caller fail, the
    id is forgotten, so the provider's retry is processed."""
    if not message_id:
        yield True
        return
    digest = hashlib.sha256(f"{provider}\n{message_id}".encode()).hexdigest()
    key, mark = f"sms-seen:{digest}", secrets.token_hex(8).encode()
    store = state.current()
    first = store.add(key, mark, REPLAY_SECONDS) == mark
    try:
        yield first
    except BaseException:
        if first:
            store.delete(key)
        raise


def handle(sender: str, text: str) -> Reply:
    """Answer one inbound message."""
    key = sender_key(sender)
    store = state.current()
    convo = Conversation.load(store.get(f"sms:{key}"))
    text = " ".join(text.split())[:MAX_TEXT]
    kind, word_lang, arg = language.command(text)
    if convo.fixed and convo.lang and kind != "lang":
        lang = convo.lang
    elif kind == "more":  # "MORE" in English continues a Spanish conversation in Spanish
        lang = convo.lang or word_lang or default_language()
    else:
        lang = word_lang or (language.detect(text) if not kind else None) or convo.lang \
            or default_language()
    if limiter.hit("sms", key, current_app.config["HAVEN_SMS_PER_HOUR"], 3600):
        use_language(lang)
        return Reply(lang, [_("Too many messages. Please wait a while. In danger? Call the "
                              "emergency number.")])
    if kind == "lang":
        wanted = next((loc.tag for loc in i18n.LOCALES if loc.tag.casefold() == arg
                       or loc.tag.split("-")[0] == arg), None)
        lang = wanted or lang
        convo.lang, convo.fixed = lang, convo.fixed or wanted is not None
        use_language(lang)
        reply = Reply(lang, [_("Replies are now in %(language)s.",
                               language=i18n.BY_TAG[lang].native) if wanted else
                             _("Unknown language. Send LANG and a code, e.g. LANG es.")])
    elif kind == "help" or not text:
        convo.lang = lang
        use_language(lang)
        reply = help_reply(lang)
    elif kind == "more":
        convo.lang = lang
        use_language(lang)
        reply = listings_reply(convo, lang) if convo.q or convo.near else Reply(
            lang, [_('Send what you need first, e.g. "shelter" and a town.')])
    else:
        convo.lang = lang
        use_language(lang)
        convo.q, convo.near = split_place(text)
        convo.sent = 0
        reply = listings_reply(convo, lang)
    store.put(f"sms:{key}", convo.dump(), KEEP_SECONDS)
    return reply


def split_place(text: str) -> tuple[str, list[float] | None]:
    """(what is asked, the point of a known town or postcode in it, if any)."""
    words = text.split()
    found = places.find(words, places.known_places())
    if found is None:
        return text, None
    i, size, point = found
    return " ".join(words[:i] + words[i + size:]), [point[0], point[1]]


def help_reply(lang: str) -> Reply:
    """The emergency number and the national trafficking hotline first; then how to ask."""
    country = current_app.config["HAVEN_COUNTRY"]
    first, _rest = first_lines(country_lines(country))
    lines = []
    for view in first:
        phone = view.phones[0].number if view.phones else ""
        lines.append(f"{_shorten(view.name, 40)}: {phone}")
    how = _('Text what you need and a town, e.g. "shelter Fresno". %(more)s: more. '
            "LANG es: Spanish.", more=language.MORE[lang][0].upper()
            if lang in language.MORE else "MORE")
    messages = ["\n".join(lines)] if lines else []
    messages.append(how)
    return fit(Reply(lang, messages))


def _shorten(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[:most - 1].rstrip() + ELLIPSIS


def describe(view: presenters.ServiceView, name_len: int, with_hours: bool) -> str:
    """One listing as a text message: name, the phone to call, open now or hours, town.
    Never a street: only the town or region is read."""
    lines = []
    if view.is_demo:
        lines.append(_("Example listing"))
    lines.append(_shorten(view.name, name_len))
    voice = next((p for p in view.phones if p.kind in ("voice", "")), None) or (
        view.phones[0] if view.phones else None)
    if voice is not None:
        lines.append(voice.number)
    if view.always_open:
        lines.append(_("Open 24/7"))
    elif view.open_now:
        lines.append(_("Open now"))
    elif with_hours and view.hours:
        day, times = view.hours[0]
        lines.append(f"{day} {times}")
    if view.town:
        lines.append(view.town)
    return "\n".join(lines)


def listings_reply(convo: Conversation, lang: str) -> Reply:
    """The next (up to) three listings for the conversation's query, fitted to 3 segments."""
    p = search.Params(q=convo.q[:200], per_page=min(search.MAX_PER_PAGE,
                                                    convo.sent + PER_REPLY + 1))
    if convo.near:
        p.near = (convo.near[0], convo.near[1])
    try:
        result = search.search(p, home_country=current_app.config["HAVEN_COUNTRY"])
    except search.BadQuery:
        result = None
    ids = result.ids[convo.sent:convo.sent + PER_REPLY] if result else []
    if not ids:
        message = _("Nothing more for this search. Send another search, or HELP.") \
            if convo.sent else _("Nothing found. Try other words, or send HELP for the "
                                 "hotline.")
        return fit(Reply(lang, [message]))
    views = [presenters.present(s) for s in load_services(ids)]
    more_left = bool(result and (result.total > convo.sent + len(views)))
    more_word = language.MORE.get(lang, ("more",))[0].upper()
    for name_len, with_hours in ((60, True), (40, True), (30, False), (22, False)):
        for count in range(len(views), 0, -1):
            messages = [describe(v, name_len, with_hours) for v in views[:count]]
            if more_left or count < len(views):
                messages[-1] += "\n" + _("%(more)s: more", more=more_word)
            reply = Reply(lang, messages)
            if reply.segments() <= MAX_SEGMENTS:
                convo.sent += count
                return reply
    convo.sent += 1
    return fit(Reply(lang, [describe(views[0], 18, False)]))


def fit(reply: Reply) -> Reply:
    """Cut the last messages short until the whole reply is at most three segments."""
    while reply.segments() > MAX_SEGMENTS and reply.messages:
        last = reply.messages[-1]
        if segments.count(last).segments > 1 or len(reply.messages) == 1:
            reply.messages[-1] = _shorten(last, max(10, int(len(last) * 0.8)))
        else:
            reply.messages.pop()
    return reply


def as_json(reply: Reply) -> dict[str, Any]:
    """The generic webhook's answer."""
    return {"messages": reply.messages}

"""The offline planner's script: each beat's voiceover line and on-screen copy, from the brand, product, category,
style and the beat's section, in the script's language. The estimate prices the same script (``write_script``).

The opening hooks (or, announcing, introduces the name); product beats name the product and say what it gives; the
closing says the name and a tagline while the picture holds the name, and the end card then shows the call to
action. Dynamic beats speak a short line only in ads of ``FEW_BEATS`` or fewer; in longer ones the music carries them,
as it does product beats past the bank's lines (spread over the ad), so the music comes back between lines.

A line never has more words than its budget, and where a candidate allows it is one a voice says in ``ROOM`` of its
window (``spoken_s``): the budget's 2.5 words a second holds for a run of short words, but a short window also holds
the pause between two sentences, and a number, an ampersand or a long word takes more breath than one word ("iPhone
17 Pro. Elegance, defined." is 5 words, and 3.1 s in the offline voice); a close of 2.7 s gets "iPhone 17 Pro.".
"""

from __future__ import annotations

import random
import re
from typing import NamedTuple

from vidgen_core.domain.catalog import LANGUAGES
from vidgen_core.domain.compose import spec_seed
from vidgen_core.domain.copy_bank import PHRASEBOOKS, Phrasebook
from vidgen_core.domain.models import GenerationRequest, Section, SpecBeat
from vidgen_core.domain.prompt import PromptReading, find_language
from vidgen_core.domain.script import WORDS_PER_SECOND, fit_line, line_windows, words, words_in

ROOM = 0.8  # of a line's window a voice should need, so one a little slower than the budget lands it unstretched
PAUSE_S = 0.3  # a voice's pause between two sentences of a line
LETTERS_PER_WORD = 6  # a longer word takes longer to say ("Featherstonehaugh" is three)
FEW_BEATS = 4  # an ad of this many beats or fewer speaks over its dynamic beats too
_TAG = re.compile(r"<[^<>]*>")  # <b>, </speak>: markup a model may write around words
_MARKUP = re.compile(r"[*_#`<>\[\]{}|~^\\]+")


def script_language(request: GenerationRequest) -> str:
    """The language the script is written in: the request's, else the prompt's (as the rules read it)."""
    return request.language or find_language(request.prompt)


def unspoken_note(language: str) -> str:
    """The plan note of a script left unspoken because the voice does not speak its language."""
    *most, last = LANGUAGES.values()
    codes = ", ".join(LANGUAGES)
    return (
        f"no voiceover: the voice speaks {', '.join(most)} and {last}, not this ad's language ({language}); "
        f"ask for one of them (--language {codes}) to have the ad spoken"
    )


def speakable(text: str) -> str:
    """Text as a voice reads it: no tags or markup characters ("**Run** _further_" is "Run further"), single
    spaces."""
    return " ".join(_MARKUP.sub("", _TAG.sub(" ", text)).split())


def spoken_s(line: str) -> float:
    """About how long a voice takes to say ``line``: ``WORDS_PER_SECOND``, long words by their letters (a word a
    ``LETTERS_PER_WORD``), a number or '&' counted as a second word, ``PAUSE_S`` between sentences and half that at
    a comma."""
    said = words(line)
    length = max(len(said), sum(map(len, said)) / LETTERS_PER_WORD)
    extra = sum(w.isdigit() for w in said) + line.count("&")
    pauses = len(re.findall(r"[.!?]\s", line)) + len(re.findall(r"[,;:]\s", line)) / 2
    return (length + extra) / WORDS_PER_SECOND + PAUSE_S * pauses


class _Room(NamedTuple):
    """Where a line is said: its word budget and the seconds of its window."""

    words: int
    seconds: float


def write_script(request: GenerationRequest, reading: PromptReading, beats: list[SpecBeat]) -> list[SpecBeat]:
    """``beats`` with the offline rules' lines and on-screen copy in the request's script language; unchanged (no
    words) in a language the voice does not speak."""
    book = PHRASEBOOKS.get(script_language(request))
    if book is None:
        return beats
    writer = _Writer(book, reading, request.prompt, random.Random(spec_seed(request)))
    rooms = [_Room(words_in(span), span[1] - span[0]) for span in line_windows(beats, request.duration_s)]
    products = [b.index for b in beats if b.section is Section.PRODUCT]
    slots = min(len(products), len(book.benefits[reading.category]))
    spread = (len(products) - 1) / max(slots - 1, 1)  # the first product beat, the last, and evenly between
    speaking = {products[round(i * spread)]: i for i in range(slots)}
    dynamics = [b.index for b in beats if b.section is Section.DYNAMIC]
    few = len(beats) <= FEW_BEATS
    written = []
    for beat, room in zip(beats, rooms, strict=True):
        if beat.section is Section.OPENING:
            line, on_screen = writer.opening(room), ""
        elif beat.section is Section.CLOSING:
            line, on_screen = writer.closing(room), ""
        elif beat.section is Section.PRODUCT:
            slot = speaking.get(beat.index)
            line = "" if slot is None else writer.product(slot, room)
            on_screen = writer.headline(products.index(beat.index))
        else:
            position = dynamics.index(beat.index)
            line = writer.moment(position, room) if few else ""
            on_screen = writer.moment_headline(position)
        written.append(beat.model_copy(update={"line": line, "on_screen": on_screen}))
    return written


class _Writer:
    """One ad's copy: its phrasebook, names, and the variants its seed chose."""

    def __init__(self, book: Phrasebook, reading: PromptReading, prompt: str, rng: random.Random) -> None:
        self.book, self.category, self.style = book, reading.category, reading.style
        self.announcing = reading.archetype == "announcement"
        brand, product = (_sayable(speakable(n)) for n in (reading.brand, reading.product))
        self.name = _as_said(brand, product, prompt)  # both, in the prompt's order ("café Lavazza")
        self.short = brand or product
        self.intro = brand if book.brand_only and brand else self.name  # "Descubre Lavazza", not "café Lavazza"
        self.product_only = not brand
        self.hook, self.moment_at, self.tag = rng.randrange(2), rng.randrange(2), rng.randrange(2)
        self.benefit = rng.randrange(len(book.benefits[self.category]))  # where the product lines start in the bank
        self.head = self.benefit + 1  # and their headlines, one on: the first product beat shows what it does not say

    def opening(self, room: _Room) -> str:
        hooks = self.book.hooks[self.category]
        ordered = [hooks[self.hook], hooks[1 - self.hook]]
        if self.announcing and self.name:
            named = [self.book.introducing.format(name=n, the=self._the(n)) for n in (self.intro, self.short)]
            ordered = named + ordered
        return _fit(ordered, room)

    def product(self, slot: int, room: _Room) -> str:
        benefits = self.book.benefits[self.category]
        benefit = benefits[(self.benefit + slot) % len(benefits)]
        if slot or not self.name:
            return _fit([benefit], room)
        if self.product_only:  # "Running shoes. Light on your feet, made for every mile." (the close names it too)
            return _fit([f"{_capital(self.short)}. {benefit}", benefit], room)
        meet = [self.book.meet.format(name=n, the=self._the(n)) for n in (self.intro, self.short)]
        return _fit([f"{meet[0]} {benefit}", f"{meet[1]} {benefit}", *meet, benefit], room)

    def _the(self, name: str) -> str:
        """The article before ``name`` when it is the brand's product, not the brand alone."""
        return self.book.the if name != self.short else ""

    def moment(self, position: int, room: _Room) -> str:
        moments = self.book.moments[self.style]
        return _fit([moments[(self.moment_at + position) % len(moments)]], room)

    def closing(self, room: _Room) -> str:
        taglines = self.book.taglines[self.style]
        tagline = taglines[self.tag]
        if not self.short:
            return _fit([tagline], room)
        name, short = _capital(self.name), _capital(self.short)
        return _fit([f"{name}. {tagline}", f"{short}. {tagline}", f"{short}."], room)

    def headline(self, position: int) -> str:
        headlines = self.book.headlines[self.category]
        return headlines[(self.head + position) % len(headlines)]

    def moment_headline(self, position: int) -> str:
        headlines = self.book.moment_headlines[self.style]
        return headlines[(self.moment_at + position + 1) % len(headlines)]  # not what its line says


def _fit(candidates: list[str], room: _Room) -> str:
    """The first candidate within the budget that a voice says in ``ROOM`` of the window, else the last (the
    shortest) cut to the words that are (a name too long for its beat)."""
    easy = (c for c in candidates if len(words(c)) <= room.words and spoken_s(c) <= ROOM * room.seconds)
    if found := next(easy, None):
        return found
    cuts = (fit_line(candidates[-1], n) for n in range(min(room.words, len(words(candidates[-1]))), 0, -1))
    return next((cut for cut in cuts if spoken_s(cut) <= ROOM * room.seconds), fit_line(candidates[-1], 1))


def _sayable(name: str) -> str:
    """A name the voice can read in a Latin-script language ('' for one in another script, e.g. Chinese)."""
    return name if all(ord(ch) < 0x250 for ch in name if ch.isalpha()) else ""


def _as_said(brand: str, product: str, prompt: str) -> str:
    """Brand and product in the order the prompt says them ("Ferngully organic oat milk", "café Lavazza")."""
    if not (brand and product):
        return brand or product
    lowered = prompt.lower()
    first, second = lowered.find(product.lower()), lowered.find(brand.lower())
    return f"{product} {brand}" if 0 <= first < second else f"{brand} {product}"


def _capital(text: str) -> str:
    """Text starting a sentence: a lower-case first word capitalised ("Running shoes"), a brand as it writes itself
    ("iPhone")."""
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first.islower() else text

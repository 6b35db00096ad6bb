"""Captions from the voiceover's word times, and each beat's headline: what is shown, on how many lines, and when.

The rules are the broadcasters' subtitling conventions (BBC, Netflix): at most ``CAPTION_LINES`` lines of about
``CAPTION_CHARS_PER_LINE`` characters (fewer on a narrow frame: the font is sized to the frame's height, so a 9:16
frame's safe zone holds fewer), broken after a sentence or clause or before a conjunction rather than inside a phrase,
and on screen long enough to read. A sentence that begins inside a cue or a line ends there: its first words are
never left at the end of one, cut from the rest ("shoe. Toujours" over "en mouvement."), unless closing the cue at
the sentence before would flash it. A cue runs from its first word's start to its last word's end, kept inside its
line's window (so never past its beat nor into the end card); each word keeps its time, for the highlight.

Captions sit at the bottom of the safe zone, headlines at its top, in the band where the storyboard's product name
sits; a caption never reaches into that band, and a beat whose frame already carries the name (and the call to
action) shows no headline over it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vidgen_core.domain.models import Section, SpecBeat, SpokenLine, VideoSpec, Voiceover
from vidgen_core.domain.platforms import safe_zone_for
from vidgen_core.domain.safe_zones import Zone
from vidgen_core.domain.script import CAPTION_CHARS_PER_LINE, CAPTION_LINES, line_window, words

SIDECARS = ("srt", "vtt")  # the caption files a user gets (the ``ass`` script only draws burned captions)
CAPTION_SIZE = 0.045  # the captions' font size (in ASS: a line's height) as a share of the frame's height (49 px)
HEADLINE_SIZE = 0.065  # a headline's
# DejaVu Sans Bold's mean advance over mixed-case sentences in en/es/fr/de (0.48-0.51 measured), as a share of that
# font size, with a margin: a line of the limit's characters fits; a wider one is narrowed where it is drawn.
CHAR_WIDTH = 0.52
BOX_PAD = 0.25  # the box's margin round the text, as a share of the font size
TITLE_BAND = 0.42  # the top of the safe zone that titles take: the storyboard's name and call to action, headlines
TITLED = (Section.OPENING, Section.CLOSING)  # the beats whose storyboard frames draw the name there (local/image.texts)
MIN_CUE_S = 5 / 6  # a cue stays up at least this long (the broadcasters' minimum), where the next one leaves room
CHAIN_GAP_S = 0.5  # a gap shorter than this between two cues of a line is closed: the caption does not blink
PAUSE_S = 0.25  # a silence this long between two words is a phrase boundary
CUE_COST = 2.0  # what each more cue costs the split, against the cost of a break (0 at a sentence's end, 4 mid-phrase)
OPENED_COST = 12.0  # a cue stopping inside a sentence begun in it, where only that keeps the cue before from a flash

SENTENCE_END = ".!?…"
CLOSERS = "\"”»)'’"  # what may follow a sentence's end mark: "Go." ends a sentence as Go. does
CLAUSE_END = ',;:—–)"”»'
# Break before these, conjunctions and prepositions (a new phrase begins; a break after one costs more: it leans on
# the next word), and never after those, articles and determiners.
BREAK_BEFORE = {
    "en": {"and", "but", "or", "so", "because", "with", "for", "to", "in", "on", "at", "from", "that", "when", "while"},
    "es": {"y", "pero", "o", "porque", "con", "para", "por", "en", "de", "que", "cuando", "sin"},
    "fr": {"et", "mais", "ou", "car", "avec", "pour", "dans", "sur", "de", "en", "à", "que", "qui", "quand", "sans"},
    "de": {"und", "aber", "oder", "denn", "weil", "mit", "für", "in", "auf", "von", "dass", "wenn", "ohne"},
}
NO_BREAK_AFTER = {
    "en": {"a", "an", "the", "my", "your", "our", "their", "its", "this", "these", "every"},
    "es": {"el", "la", "los", "las", "un", "una", "tu", "su", "mi", "cada"},
    "fr": {"le", "la", "les", "l'", "un", "une", "des", "du", "ton", "ta", "tes", "votre", "vos", "chaque"},
    "de": {"der", "die", "das", "den", "dem", "ein", "eine", "einen", "dein", "deine", "ihr", "ihre", "jeder"},
}
_BARE = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class CueWord:
    """A word as shown (with its punctuation) and when it is spoken, in timeline seconds."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Cue:
    """One caption: its lines of words, shown from ``start_s`` to ``end_s`` (timeline seconds)."""

    beat_index: int
    start_s: float
    end_s: float
    lines: tuple[tuple[CueWord, ...], ...]

    @property
    def words(self) -> tuple[CueWord, ...]:
        return tuple(word for line in self.lines for word in line)

    @property
    def text(self) -> str:
        return "\n".join(" ".join(word.text for word in line) for line in self.lines)


@dataclass(frozen=True)
class Headline:
    """A beat's on-screen copy: its lines, shown from ``start_s`` to ``end_s``, drawn at ``scale`` of the headline
    size (under 1 where it needs more than two lines' room at full size)."""

    beat_index: int
    start_s: float
    end_s: float
    lines: tuple[str, ...]
    scale: float = 1.0


def font_px(height: int, share: float = CAPTION_SIZE) -> float:
    return share * height


def line_limit(spec: VideoSpec, width: int, height: int, share: float = CAPTION_SIZE) -> int:
    """Characters a line may hold: ``CAPTION_CHARS_PER_LINE``, or fewer where the safe zone's width (less the box's
    margins) holds fewer at this font size."""
    zone = safe_zone_for(spec, width, height)
    size = font_px(height, share)
    room = (zone.x1 - zone.x0) * width - 2 * BOX_PAD * size
    return max(1, min(CAPTION_CHARS_PER_LINE, math.floor(room / (CHAR_WIDTH * size))))


def title_band(spec: VideoSpec, width: int, height: int) -> Zone:
    """The top of the safe zone, where the storyboard's product name and the headlines sit."""
    zone = safe_zone_for(spec, width, height)
    return Zone(zone.x0, zone.y0, zone.x1, zone.y0 + TITLE_BAND * (zone.y1 - zone.y0))


def caption_zone(spec: VideoSpec, width: int, height: int) -> Zone:
    """Where captions may be drawn: the safe zone under the title band."""
    zone = safe_zone_for(spec, width, height)
    return Zone(zone.x0, title_band(spec, width, height).y1, zone.x1, zone.y1)


def spoken_words(said: SpokenLine) -> list[CueWord]:
    """The line's words as written (punctuation kept, for display and for breaks) with the engine's times. A token
    of the text holds as many timed words as ``script.words`` finds in it; one without any (a dash) joins the word
    before it. Where the text and the times disagree, the timed words are shown as they are."""
    tokens = said.text.split()
    counts = [len(words(token)) for token in tokens]
    if sum(counts) != len(said.words) or not said.words:
        return [CueWord(w.word, w.start_s, w.end_s) for w in said.words]
    shown: list[CueWord] = []
    at, loose = 0, ""
    for token, count in zip(tokens, counts, strict=True):
        if not count:
            if shown:
                last = shown[-1]
                shown[-1] = CueWord(f"{last.text} {token}", last.start_s, last.end_s)
            else:
                loose = f"{loose}{token} "
            continue
        timed = said.words[at : at + count]
        at += count
        shown.append(CueWord(loose + token, timed[0].start_s, timed[-1].end_s))
        loose = ""
    return shown


def _bare(text: str) -> str:
    return _BARE.sub("", text).lower()


def _ends_sentence(word: CueWord) -> bool:
    return word.text.rstrip(CLOSERS)[-1:] in tuple(SENTENCE_END)


def _in_name(tokens: list[CueWord], i: int) -> bool:
    """Whether tokens ``i`` and ``i + 1`` are a name of capitalised words (Acme Trail), not a sentence's first word
    before one."""
    opens = i == 0 or _ends_sentence(tokens[i - 1])
    return tokens[i].text[0].isupper() and tokens[i + 1].text[0].isupper() and not opens


def _break_cost(tokens: list[CueWord], i: int, language: str) -> float:
    """What breaking after token ``i`` costs: nothing at a sentence's end, little at a clause's or a pause, more
    before a conjunction or preposition, more again after one (it leans on what follows), most after an article or
    inside a name."""
    word, following = tokens[i], tokens[i + 1]
    if _ends_sentence(word):
        cost = 0.0
    elif word.text[-1] in CLAUSE_END or following.text[0] in '—–("“«':
        cost = 1.0
    elif _bare(word.text) in NO_BREAK_AFTER.get(language, set()) or _in_name(tokens, i):
        cost = 8.0
    elif _bare(following.text) in BREAK_BEFORE.get(language, set()):
        cost = 2.0
    elif _bare(word.text) in BREAK_BEFORE.get(language, set()):
        cost = 6.0
    else:
        cost = 4.0
    return max(0.0, cost - 1.0) if following.start_s - word.end_s >= PAUSE_S else cost


def opened_at(tokens: list[CueWord] | tuple[CueWord, ...]) -> int | None:
    """Where the sentence that these words stop inside began, when it began among them after another's end: the
    index of its first word ("shoe. Toujours" gives 1); None where they end a sentence or hold no sentence's end."""
    if not tokens or _ends_sentence(tokens[-1]):
        return None
    ends = [k for k, word in enumerate(tokens[:-1]) if _ends_sentence(word)]
    return ends[-1] + 1 if ends else None


def _width(tokens: list[CueWord]) -> int:
    return sum(len(t.text) for t in tokens) + len(tokens) - 1


def _lines(
    tokens: list[CueWord], limit: int, language: str, lines: int = CAPTION_LINES
) -> tuple[float, tuple[tuple[CueWord, ...], ...]] | None:
    """The best way to lay ``tokens`` on at most ``lines`` lines of ``limit`` characters (a word longer than the
    limit alone on its line), and its cost; None where they do not fit. One line where it fits; else the break that
    is cheapest and most even, and never one that leaves a sentence's first words at a line's end."""
    if _width(tokens) <= limit or len(tokens) == 1:
        return 0.0, (tuple(tokens),)
    if lines < 2:
        return None
    best: tuple[float, tuple[tuple[CueWord, ...], ...]] | None = None
    for k in range(1, len(tokens)):
        top, rest = tokens[:k], tokens[k:]
        below = _lines(rest, limit, language, lines - 1)
        if (_width(top) > limit and len(top) > 1) or below is None or opened_at(top) is not None:
            continue
        cost = _break_cost(tokens, k - 1, language) + 3 * abs(_width(top) - _width(rest)) / limit + below[0]
        if best is None or cost < best[0]:
            best = cost, (tuple(top), *below[1])
    return best


def _group(tokens: list[CueWord], limit: int, language: str, until: float) -> list[tuple[tuple[CueWord, ...], ...]]:
    """A line's words (whose window ends at ``until``) split into cues at the least cost (dynamic programming): cues
    that fit on screen, end where a phrase does, are few and stay up long enough to read. A cue may not stop inside
    a sentence it began after another's end, unless ending it at that end would flash it, and then at a cost; a
    one-word cue always may, so there is always a split."""
    best: list[tuple[float, list[tuple[tuple[CueWord, ...], ...]]]] = [(0.0, [])]
    for j in range(1, len(tokens) + 1):
        options = []
        for i in range(j - 1, -1, -1):
            laid = _lines(tokens[i:j], limit, language)
            if laid is None:
                break  # a longer cue fits no better
            cost = best[i][0] + CUE_COST + laid[0]
            if j < len(tokens):
                opened = opened_at(tokens[i:j])
                if opened is not None and not flashes(tokens[i:j], opened):
                    continue
                cost += _break_cost(tokens, j - 1, language) + (OPENED_COST if opened is not None else 0.0)
            shown = (tokens[j].start_s if j < len(tokens) else until) - tokens[i].start_s
            if shown < MIN_CUE_S:  # a flash: a cue is up until the next one begins, or its window ends
                cost += 6.0 * (1 - shown / MIN_CUE_S)
            options.append((cost, [*best[i][1], laid[1]]))
        best.append(min(options, key=lambda option: option[0]))
    return best[-1][1]


def flashes(tokens: list[CueWord] | tuple[CueWord, ...], until: int) -> bool:
    """Whether a cue of ``tokens[:until]``, up until ``tokens[until]`` begins, would be up less than ``MIN_CUE_S``."""
    return tokens[until].start_s - tokens[0].start_s < MIN_CUE_S


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def cues(spec: VideoSpec, voiceover: Voiceover, size: tuple[int, int]) -> list[Cue]:
    """Every line's captions for a frame of ``size``, in time order. A cue runs from its first word's start to its
    last word's end, held to ``MIN_CUE_S`` and closed up to the next cue across a short gap, never out of its line's
    window; its words' times are held inside the cue."""
    limit = line_limit(spec, *size)
    made: list[Cue] = []
    for said in voiceover.lines:
        beat = spec.beats[said.beat_index]
        low, high = line_window(spec, beat)
        tokens = spoken_words(said)
        if not tokens:
            continue
        groups = _group(tokens, limit, voiceover.language, high)
        starts = [_clamp(group[0][0].start_s, low, high) for group in groups]
        for k, group in enumerate(groups):
            start = starts[k]
            after = starts[k + 1] if k + 1 < len(groups) else high
            end = _clamp(group[-1][-1].end_s, start, after)
            if after - end < CHAIN_GAP_S:
                end = after
            start, end = round(start, 3), round(max(end, min(start + MIN_CUE_S, after)), 3)
            if end <= start:
                continue
            lines = tuple(
                tuple(CueWord(w.text, _clamp(w.start_s, start, end), _clamp(w.end_s, start, end)) for w in line)
                for line in group
            )
            made.append(Cue(beat.index, start, end, lines))
    return sorted(made, key=lambda cue: cue.start_s)


def shows_headline(beat: SpecBeat) -> bool:
    """Whether a beat's headline is drawn: it has one, and its frames do not carry the name in the title band."""
    return bool(beat.on_screen.strip()) and beat.section not in TITLED


def headlines(spec: VideoSpec, size: tuple[int, int]) -> list[Headline]:
    """Each beat's on-screen copy over its line's window (after the lead-in, never into the end card), on at most
    two lines, made smaller where it needs more room than that; none where the storyboard's title is."""
    limit = line_limit(spec, *size, share=HEADLINE_SIZE)
    made = []
    for beat in filter(shows_headline, spec.beats):
        tokens = [CueWord(token, 0.0, 0.0) for token in beat.on_screen.split()]
        start, end = line_window(spec, beat)
        if end <= start:
            continue
        widest = max(_width(tokens) / CAPTION_LINES, max(len(t.text) for t in tokens))
        room = max(limit, math.ceil(widest))
        laid = None
        while laid is None:  # the smallest line length, from the limit up, that holds it on two lines
            laid = _lines(tokens, room, spec.language)
            room += 1
        shown = tuple(" ".join(t.text for t in line) for line in laid[1])
        made.append(Headline(beat.index, start, end, shown, min(1.0, limit / max(len(line) for line in shown))))
    return made

"""Spanish, French and German offline: espeak-ng's formant voice, from the library and data the espeakng-loader wheel
ships (no system package), with each word's time from the engine's own WORD and PHONEME events.

The library keeps one synthesis state per process and is not thread-safe, so every call holds ``_speaking``.
``espeakINITIALIZE_DONT_EXIT`` keeps it from ending the process on an error. The C API is speak_lib.h of
espeak-ng 1.52 (the wheel's version).
"""

from __future__ import annotations

import ctypes
import logging
import threading
import wave
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vidgen_core.adapters.local.timing import share_out
from vidgen_core.domain.models import WordTime
from vidgen_core.domain.script import words

log = logging.getLogger("vidgen.local_voice")
ENGINE = "espeak-ng"
VOICES = {"es": "es", "fr": "fr", "de": "de"}  # script language -> espeak voice (fr is France's French, fr-fr)
_speaking = threading.Lock()

# speak_lib.h
_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: the callback gets the sound and events, espeak_Synth returns when done
_PHONEME_EVENTS, _DONT_EXIT = 0x0001, 0x8000
_CHARS_UTF8, _POS_CHARACTER = 1, 1
_LIST_END, _WORD, _PHONEME = 0, 1, 7
_EE_OK = 0


class _Id(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based, in characters of the text
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms from the start of the sound
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _Id),
    ]


class EspeakError(Exception):
    """espeak-ng refused to start or to speak; the message says how."""


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class _Mark:
    """A WORD (over ``length`` characters of the text from ``char``) or PHONEME (``phoneme``) event, at ``ms``."""

    ms: int
    char: int | None = None
    length: int = 0
    phoneme: str = ""

    @property
    def pause(self) -> bool:
        """A silence phoneme ('_', '_:', '_!' ...)."""
        return self.phoneme.startswith("_")


@cache
def _library() -> tuple[ctypes.CDLL, int]:
    """The initialised library and its sample rate."""
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetSynthCallback.argtypes = [_Callback]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    data = espeakng_loader.get_data_path().encode()
    rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, data, _PHONEME_EVENTS | _DONT_EXIT)
    if rate <= 0:
        raise EspeakError(f"did not start (status {rate})")
    return lib, rate


def speak(text: str, language: str, out: Path) -> list[WordTime] | None:
    """Speak ``text`` in ``language`` (a key of ``VOICES``) into ``out`` (mono 16-bit WAV at the engine's rate);
    each word's time in the file (None, logged, when no word has a sound)."""
    sound: list[bytes] = []
    marks: list[_Mark] = []

    def heard(wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]) -> int:
        if count > 0:
            sound.append(ctypes.string_at(wav, count * 2))
        index = 0
        while (event := events[index]).type != _LIST_END:
            if event.type == _WORD:
                marks.append(_Mark(event.audio_position, char=event.text_position - 1, length=event.length))
            elif event.type == _PHONEME:
                marks.append(_Mark(event.audio_position, phoneme=event.id.string.decode(errors="replace")))
            index += 1
        return 0

    encoded = text.encode()
    with _speaking:
        lib, rate = _library()
        callback = _Callback(heard)  # kept alive while the library may call it
        lib.espeak_SetSynthCallback(callback)
        if lib.espeak_SetVoiceByName(VOICES[language].encode()) != _EE_OK:
            raise EspeakError(f"has no voice {VOICES[language]!r}")
        status = lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != _EE_OK:
            raise EspeakError(f"could not speak the line (status {status})")
    pcm = b"".join(sound)
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    times = word_times(text, marks, round(len(pcm) // 2 * 1000 / rate))
    if times is None:
        log.warning("no word times from espeak-ng for %r: no word has a sound of its own", text)
    return times


def word_times(text: str, marks: list[_Mark], length_ms: int) -> list[WordTime] | None:
    """Each script word's time: from its first sounding phoneme to the event after its last one (a pause, the next
    word, or the end of the sound); None when no word has a sound.

    espeak starts a WORD at each of its own words, over a range of the text. A WORD belongs to the script word its
    range overlaps first (so the parts of ``L'été`` go to one word), and one over a symbol the script does not count
    as a word (the '%' of "20%") to the script word before it.
    """
    said = words(text)
    starts, at = [], 0
    for word in said:
        at = text.index(word, at)
        starts.append(at)
        at += len(word)
    first: list[int | None] = [None] * len(said)
    last: list[int] = [0] * len(said)
    owner = None
    for index, mark in enumerate(marks):
        if mark.char is not None:  # never back to an earlier word, so the times stay in order
            overlap = [i for i, s in enumerate(starts) if s < mark.char + mark.length and mark.char < s + len(said[i])]
            found = overlap[0] if overlap else max(0, bisect_right(starts, mark.char) - 1)
            owner = found if owner is None else max(owner, found)
        elif owner is not None and not mark.pause:
            first[owner] = index if first[owner] is None else first[owner]
            last[owner] = index
    spans: list[tuple[float, float] | None] = [
        None if begin is None else (marks[begin].ms / 1000, min(_after(marks, end, length_ms), length_ms) / 1000)
        for begin, end in zip(first, last, strict=True)
    ]
    return share_out(said, spans)


def _after(marks: list[_Mark], index: int, length_ms: int) -> int:
    return marks[index + 1].ms if index + 1 < len(marks) else length_ms

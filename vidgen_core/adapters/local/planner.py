"""The offline planner: reads the prompt with rules and composes beats. Deterministic and free."""

from __future__ import annotations

from vidgen_core.domain.beats import ARCHETYPES
from vidgen_core.domain.catalog import LANGUAGES, LOCAL_MODELS, LOCAL_PROVIDER, Kind
from vidgen_core.domain.compose import compose_beats, spec_seed, timeline, video_seed
from vidgen_core.domain.copywriter import script_language, unspoken_note, write_script
from vidgen_core.domain.models import PLAN_VERSION, CostLine, GenerationRequest, Phase, VideoSpec
from vidgen_core.domain.pacing import with_transitions
from vidgen_core.domain.ports import PlanResult
from vidgen_core.domain.prompt import read_prompt

SCENES = {
    "footwear": "rain-slick city running track",
    "apparel": "sunlit urban rooftop",
    "beverage": "sunny summer terrace",
    "food": "warm rustic kitchen",
    "tech": "minimal white studio",
    "automotive": "coastal mountain road at dusk",
    "beauty": "soft marble vanity",
    "fitness": "industrial gym at sunrise",
    "travel": "turquoise coastline",
    "finance": "bright modern office",
    "home": "cosy living room",
    "general": "clean modern studio",
}


# The end card's line when the script is not in English
AVAILABLE_NOW = {
    "en": "Available now",
    "de": "Jetzt erhältlich",
    "fr": "Disponible maintenant",
    "es": "Ya disponible",
    "zh": "现已上市",
}
ORDER = frozenset({"food", "beverage"})  # bought by the order: "Order today at <brand>"
SHOP = frozenset({"footwear", "apparel", "beauty", "fitness", "tech", "home"})  # "Shop <brand> now"
BOOK = {"automotive": "Book a test drive today", "travel": "Book your trip today", "finance": "Get started today"}


def call_to_action(brand: str, product: str, category: str, language: str) -> str:
    """The end card's line, never empty: by what buying looks like in the category, naming the brand where there
    is one; in the script's language ("available now") when it is not English."""
    if language != "en":
        return AVAILABLE_NOW.get(language, AVAILABLE_NOW["en"])
    if category in ORDER:
        return f"Order today at {brand}" if brand else "Order today"
    if category in SHOP:
        return f"Shop {brand} now" if brand else "Shop now"
    if category in BOOK:
        return BOOK[category]
    return f"{product[:1].upper()}{product[1:]}: available now" if product and not brand else AVAILABLE_NOW["en"]


class LocalPlanner:
    """Plans a spec from the prompt alone, offline."""

    provider = LOCAL_PROVIDER
    model = LOCAL_MODELS[Kind.LLM]

    def plan(self, request: GenerationRequest) -> PlanResult:
        reading = read_prompt(request.prompt)
        subject = reading.name or "product"
        fields = {"product": subject, "style": f"{reading.style} style", "scene": SCENES[reading.category]}
        composed = compose_beats(request.duration_s, reading.category, reading.archetype, spec_seed(request))
        beats = timeline(
            [
                (tpl, seconds, tpl.image_prompt.format(**fields), tpl.motion_prompt.format(**fields))
                for tpl, seconds in composed
            ]
        )
        beats = write_script(request, reading, with_transitions(beats))
        language = script_language(request)
        spec = VideoSpec(
            video_id=request.video_id,
            user_id=request.user_id,
            prompt=request.prompt,
            title=request.title,
            brand=reading.brand,
            product=reading.product,
            category=reading.category,
            style=reading.style,
            music_mood=reading.mood,
            archetype=ARCHETYPES[reading.archetype].id,
            duration_s=request.duration_s,
            aspect_ratio=request.aspect_ratio,
            video_model=request.video_model,
            image_model=request.image_model,
            music_model=request.music_model,
            seed=video_seed(request),
            beats=beats,
            plan_version=PLAN_VERSION,
            call_to_action=call_to_action(reading.brand, reading.product, reading.category, language),
            language=language,
            plan_notes=[] if language in LANGUAGES else [unspoken_note(language)],
        )
        cost = CostLine(
            phase=Phase.VIDEO_SPEC,
            provider=self.provider,
            model=self.model,
            item="spec",
            quantity=1,
            unit="plan",
            usd=0.0,
        )
        return PlanResult(spec=spec, costs=[cost])

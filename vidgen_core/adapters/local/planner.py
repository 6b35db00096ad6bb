"""The offline planner: reads the prompt with rules and composes beats. Deterministic and free."""

from __future__ import annotations

from vidgen_core.domain.beats import ARCHETYPES
from vidgen_core.domain.catalog import LOCAL_MODELS, LOCAL_PROVIDER, Kind
from vidgen_core.domain.compose import compose_beats, spec_seed, timeline, video_seed
from vidgen_core.domain.models import CostLine, GenerationRequest, Phase, VideoSpec
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

"""The beat library (15 beats) and the template archetypes that order them."""

from __future__ import annotations

from pydantic import BaseModel

from vidgen_core.domain.models import Camera, Energy, Section

ALL = frozenset(
    {
        "footwear",
        "apparel",
        "beverage",
        "food",
        "tech",
        "automotive",
        "beauty",
        "fitness",
        "travel",
        "finance",
        "home",
        "general",
    }
)


class BeatTemplate(BaseModel, frozen=True):
    """A reusable shot: its length, framing, camera move, prompts and the products it suits."""

    id: str
    name: str
    section: Section
    duration_s: int
    shot_type: str
    camera: Camera
    image_prompt: str
    motion_prompt: str
    energy: Energy
    categories: frozenset[str] = ALL

    def suits(self, category: str) -> bool:
        return category in self.categories


def _b(**kw: object) -> BeatTemplate:
    return BeatTemplate(**kw)  # type: ignore[arg-type]


BEATS: tuple[BeatTemplate, ...] = (
    # Opening
    _b(
        id="hero_reveal",
        name="Hero reveal",
        section=Section.OPENING,
        duration_s=5,
        shot_type="wide",
        camera=Camera.DOLLY_IN,
        energy=Energy.MEDIUM,
        image_prompt="Cinematic wide establishing shot, {product} revealed at the centre of a {scene}, {style}",
        motion_prompt="Slow dolly in toward the {product}, light rising",
    ),
    _b(
        id="city_dawn",
        name="City dawn",
        section=Section.OPENING,
        duration_s=5,
        shot_type="wide",
        camera=Camera.CRANE_UP,
        energy=Energy.LOW,
        categories=frozenset({"footwear", "apparel", "beverage", "automotive", "travel", "fitness", "general"}),
        image_prompt="Wide shot of a city waking at dawn, {product} in the foreground, {scene}, {style}",
        motion_prompt="Crane up from street level as the sun breaks over the skyline",
    ),
    _b(
        id="macro_tease",
        name="Macro tease",
        section=Section.OPENING,
        duration_s=5,
        shot_type="extreme close-up",
        camera=Camera.PUSH_IN,
        energy=Energy.MEDIUM,
        categories=frozenset({"tech", "beauty", "automotive", "footwear", "apparel", "beverage", "general"}),
        image_prompt="Extreme macro close-up of a detail of the {product}, shallow depth of field, {style}",
        motion_prompt="Slow push in on the texture, focus breathing",
    ),
    _b(
        id="everyday_moment",
        name="Everyday moment",
        section=Section.OPENING,
        duration_s=10,
        shot_type="medium",
        camera=Camera.PAN_RIGHT,
        energy=Energy.LOW,
        categories=frozenset({"food", "home", "finance", "fitness", "tech", "beverage", "travel", "general"}),
        image_prompt="Medium shot of an everyday moment in a {scene} just before the {product} appears, {style}",
        motion_prompt="Gentle pan right following the person through the scene",
    ),
    _b(
        id="bold_title",
        name="Bold title",
        section=Section.OPENING,
        duration_s=5,
        shot_type="wide",
        camera=Camera.ORBIT,
        energy=Energy.HIGH,
        image_prompt="Bold graphic title card announcing the {product}, dramatic light, {scene}, {style}",
        motion_prompt="Orbit around the title as light streaks pass",
    ),
    # Product focus
    _b(
        id="hero_orbit",
        name="Hero orbit",
        section=Section.PRODUCT,
        duration_s=10,
        shot_type="close-up",
        camera=Camera.ORBIT,
        energy=Energy.MEDIUM,
        image_prompt="Studio close-up of the {product} on a pedestal, rim light, {style}",
        motion_prompt="Smooth orbit around the {product}, reflections sliding across it",
    ),
    _b(
        id="feature_detail",
        name="Feature detail",
        section=Section.PRODUCT,
        duration_s=5,
        shot_type="extreme close-up",
        camera=Camera.PAN_LEFT,
        energy=Energy.MEDIUM,
        image_prompt="Extreme close-up of the signature feature of the {product}, crisp detail, {style}",
        motion_prompt="Slow pan left along the feature, light glinting",
    ),
    _b(
        id="in_use",
        name="In use",
        section=Section.PRODUCT,
        duration_s=10,
        shot_type="medium",
        camera=Camera.TRACKING,
        energy=Energy.HIGH,
        image_prompt="Medium shot of a person using the {product} in a {scene}, {style}",
        motion_prompt="Tracking shot moving alongside the person using the {product}",
    ),
    _b(
        id="material_pan",
        name="Material pan",
        section=Section.PRODUCT,
        duration_s=5,
        shot_type="close-up",
        camera=Camera.PAN_RIGHT,
        energy=Energy.LOW,
        image_prompt="Close-up of the materials and finish of the {product}, soft studio light, {style}",
        motion_prompt="Slow pan right across the surface",
    ),
    _b(
        id="studio_showcase",
        name="Studio showcase",
        section=Section.PRODUCT,
        duration_s=15,
        shot_type="medium close-up",
        camera=Camera.DOLLY_IN,
        energy=Energy.MEDIUM,
        image_prompt="Medium close-up of the {product} in a clean studio set, {scene} backdrop, {style}",
        motion_prompt="Steady dolly in as the {product} turns to face the camera",
    ),
    # Dynamic
    _b(
        id="action_montage",
        name="Action montage",
        section=Section.DYNAMIC,
        duration_s=5,
        shot_type="wide",
        camera=Camera.TRACKING,
        energy=Energy.HIGH,
        image_prompt="Wide action shot, motion blur, the {product} in full action in a {scene}, {style}",
        motion_prompt="Fast tracking shot keeping pace with the action",
    ),
    _b(
        id="momentum_pan",
        name="Momentum",
        section=Section.DYNAMIC,
        duration_s=10,
        shot_type="medium",
        camera=Camera.PAN_LEFT,
        energy=Energy.HIGH,
        image_prompt="Medium shot bursting with energy, the {product} at the heart of the movement, {style}",
        motion_prompt="Whip pan left following the burst of movement",
    ),
    _b(
        id="crowd_moment",
        name="Crowd moment",
        section=Section.DYNAMIC,
        duration_s=5,
        shot_type="wide",
        camera=Camera.CRANE_UP,
        energy=Energy.HIGH,
        image_prompt="Wide shot of people celebrating together with the {product} in a {scene}, {style}",
        motion_prompt="Crane up over the crowd as they celebrate",
    ),
    # Closing
    _b(
        id="logo_lockup",
        name="Logo lockup",
        section=Section.CLOSING,
        duration_s=5,
        shot_type="medium",
        camera=Camera.PUSH_IN,
        energy=Energy.MEDIUM,
        image_prompt="The {product} beside its brand logo on a clean backdrop, {style}",
        motion_prompt="Slow push in to the logo as the light settles",
    ),
    _b(
        id="call_to_action",
        name="Call to action",
        section=Section.CLOSING,
        duration_s=5,
        shot_type="close-up",
        camera=Camera.STATIC,
        energy=Energy.LOW,
        image_prompt="Close-up of the {product} with space for a call to action, {style}",
        motion_prompt="Locked-off shot with a gentle breathing drift",
    ),
)

BEATS_BY_ID: dict[str, BeatTemplate] = {b.id: b for b in BEATS}


class Archetype(BaseModel, frozen=True):
    """A template for the order of beats: preferred openings, the middle pattern, and closings."""

    id: str
    name: str
    openings: tuple[str, ...]
    middle: tuple[Section, ...]
    middle_prefs: tuple[str, ...]
    closings: tuple[str, ...]


ARCHETYPES: dict[str, Archetype] = {
    a.id: a
    for a in (
        Archetype(
            id="product_showcase",
            name="Product showcase",
            openings=("hero_reveal", "macro_tease", "city_dawn"),
            middle=(Section.PRODUCT, Section.DYNAMIC, Section.PRODUCT, Section.PRODUCT),
            middle_prefs=(
                "hero_orbit",
                "action_montage",
                "feature_detail",
                "studio_showcase",
                "material_pan",
                "in_use",
                "momentum_pan",
            ),
            closings=("logo_lockup", "call_to_action"),
        ),
        Archetype(
            id="lifestyle",
            name="Lifestyle",
            openings=("everyday_moment", "city_dawn", "hero_reveal"),
            middle=(Section.PRODUCT, Section.DYNAMIC, Section.DYNAMIC, Section.PRODUCT),
            middle_prefs=(
                "in_use",
                "crowd_moment",
                "action_montage",
                "feature_detail",
                "momentum_pan",
                "hero_orbit",
                "material_pan",
            ),
            closings=("call_to_action", "logo_lockup"),
        ),
        Archetype(
            id="announcement",
            name="Announcement",
            openings=("bold_title", "macro_tease", "hero_reveal"),
            middle=(Section.PRODUCT, Section.PRODUCT, Section.DYNAMIC),
            middle_prefs=(
                "hero_orbit",
                "feature_detail",
                "momentum_pan",
                "studio_showcase",
                "in_use",
                "action_montage",
                "material_pan",
            ),
            closings=("logo_lockup", "call_to_action"),
        ),
    )
}

"""Reading what a prompt asks for: duration, aspect, product, category, style, mood and archetype."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from vidgen_core.catalog import Aspect

_NUM_WORDS = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "half": 0.5,
    "half a": 0.5,
    "five": 5,
    "six": 6,
    "eight": 8,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "forty five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}
_SECOND_WORDS = "five|six|eight|ten|twelve|fifteen|twenty|thirty|forty[- ]five|forty|fifty|sixty|ninety"
_DURATION_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*-?\s*(?:sec|secs|second|seconds)\b", re.I), 1.0),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*-?\s*(?:min|mins|minute|minutes)\b", re.I), 60.0),
    (re.compile(r"\b(one|a|an|two|three|half a|half)\s*-?\s*(?:minute|minutes|min)\b", re.I), 60.0),
    (re.compile(rf"\b({_SECOND_WORDS})\s*-?\s*(?:sec|secs|second|seconds)\b", re.I), 1.0),
    (re.compile(r"\b(\d+(?:\.\d+)?)s\b", re.I), 1.0),
    (re.compile(r"\b(\d+(?:\.\d+)?)m\b", re.I), 60.0),
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_DECADES = {"20", "30", "40", "50", "60", "70", "80", "90"}
_DECADE_CONTEXT = re.compile(r"retro|vintage|nostalg|throwback|\bera\b|\bthe \d0s\b|\d0s\s+(?:style|vibe|look)", re.I)
_ASPECT_WORDS: tuple[tuple[Aspect, re.Pattern[str]], ...] = (
    (
        "9:16",
        re.compile(
            r"\b9\s*[:x/]\s*16\b|\bvertical\b|\bportrait\b|\btiktok\b|\breels?\b|\bshorts\b|"
            r"\bstor(?:y|ies)\b",
            re.I,
        ),
    ),
    ("1:1", re.compile(r"\b1\s*[:x/]\s*1\b|\bsquare\b", re.I)),
    ("16:9", re.compile(r"\b16\s*[:x/]\s*9\b|\bhorizontal\b|\blandscape\b|\bwidescreen\b|\byoutube\b", re.I)),
)
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "footwear": (
        "shoe",
        "shoes",
        "sneaker",
        "sneakers",
        "boot",
        "boots",
        "nike",
        "adidas",
        "puma",
        "reebok",
        "new balance",
        "trainers",
        "running",
        "jordan",
        "vans",
        "converse",
    ),
    "apparel": (
        "shirt",
        "jacket",
        "hoodie",
        "dress",
        "fashion",
        "clothing",
        "apparel",
        "jeans",
        "levi",
        "zara",
        "uniqlo",
        "gucci",
        "wear",
    ),
    "beverage": (
        "drink",
        "coffee",
        "soda",
        "tea",
        "juice",
        "beer",
        "water",
        "coca-cola",
        "coke",
        "pepsi",
        "red bull",
        "energy drink",
        "wine",
        "espresso",
        "latte",
        "starbucks",
        "lemonade",
    ),
    "food": (
        "burger",
        "pizza",
        "snack",
        "chocolate",
        "restaurant",
        "food",
        "cereal",
        "ice cream",
        "cookie",
        "mcdonald",
        "kfc",
        "bakery",
        "taco",
    ),
    "tech": (
        "phone",
        "smartphone",
        "laptop",
        "app",
        "headphones",
        "earbuds",
        "smartwatch",
        "watch",
        "apple",
        "iphone",
        "samsung",
        "galaxy",
        "pixel",
        "software",
        "ai",
        "camera",
        "tablet",
        "console",
        "gaming",
        "google",
        "speaker",
    ),
    "automotive": (
        "car",
        "cars",
        "ev",
        "tesla",
        "truck",
        "bmw",
        "audi",
        "mercedes",
        "porsche",
        "toyota",
        "motorcycle",
        "suv",
        "ford",
    ),
    "beauty": (
        "skincare",
        "perfume",
        "lipstick",
        "cosmetics",
        "fragrance",
        "makeup",
        "serum",
        "shampoo",
        "beauty",
        "cream",
        "l'oreal",
        "sephora",
    ),
    "fitness": ("gym", "yoga", "workout", "protein", "fitness", "peloton", "training", "supplement"),
    "travel": ("hotel", "airline", "vacation", "travel", "resort", "flight", "cruise", "airbnb", "trip"),
    "finance": (
        "bank",
        "credit card",
        "insurance",
        "crypto",
        "invest",
        "investing",
        "savings",
        "loan",
        "fintech",
        "payments",
    ),
    "home": ("furniture", "sofa", "kitchen", "mattress", "ikea", "lamp", "home", "vacuum", "bed"),
}
STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "cinematic": ("cinematic", "film", "epic", "movie"),
    "minimalist": ("minimal", "minimalist", "clean", "simple", "sleek"),
    "energetic": ("energetic", "dynamic", "bold", "fast", "high-energy", "intense", "sporty", "sport"),
    "luxury": ("luxury", "luxurious", "elegant", "premium", "sophisticated", "high-end"),
    "playful": ("playful", "fun", "colorful", "colourful", "quirky", "bright", "cheerful"),
    "retro": ("retro", "vintage", "80s", "90s", "nostalgic", "classic"),
    "futuristic": ("futuristic", "neon", "cyberpunk", "sci-fi", "futurist", "high-tech"),
    "warm": ("warm", "cozy", "cosy", "heartwarming", "homey", "family"),
}
MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "upbeat": ("upbeat", "happy", "cheerful", "fun", "joyful", "positive"),
    "energetic": ("energetic", "pumping", "intense", "driving", "hype", "powerful"),
    "calm": ("calm", "relaxing", "chill", "peaceful", "serene", "soft", "gentle"),
    "dramatic": ("dramatic", "epic", "tense", "bold", "dark", "suspense"),
    "inspirational": ("inspirational", "inspiring", "uplifting", "emotional", "motivational", "hopeful"),
}
STYLE_BY_CATEGORY = {
    "footwear": "energetic",
    "apparel": "cinematic",
    "beverage": "playful",
    "food": "warm",
    "tech": "minimalist",
    "automotive": "cinematic",
    "beauty": "luxury",
    "fitness": "energetic",
    "travel": "cinematic",
    "finance": "minimalist",
    "home": "warm",
    "general": "cinematic",
}
MOOD_BY_STYLE = {
    "cinematic": "inspirational",
    "minimalist": "calm",
    "energetic": "energetic",
    "luxury": "calm",
    "playful": "upbeat",
    "retro": "upbeat",
    "futuristic": "dramatic",
    "warm": "inspirational",
}
ARCHETYPE_WORDS: dict[str, tuple[str, ...]] = {
    "announcement": (
        "launch",
        "launching",
        "announce",
        "announcing",
        "introducing",
        "introduce",
        "sale",
        "event",
        "coming soon",
        "release",
        "unveil",
        "unveiling",
    ),
    "lifestyle": ("lifestyle", "people", "everyday", "story", "life", "community", "friends", "family", "journey"),
}
_AD_WORDS = (
    r"(?:ad|ads|advert|advertisement|commercial|spot|promo|promotional video|video|campaign|teaser|story|reels?|post)"
)
_PLATFORMS = (
    "instagram|tiktok|youtube|facebook|snapchat|linkedin|twitter|pinterest|social media|social|reels|stories|shorts"
)
_STOP_WORDS = (
    "with|that|in|featuring|showing|targeting|aimed|for|which|where|to|using|starring|shot|filmed|set|on|at|and|"
    "called|named|who|from|during|because"
)
_STOP = rf"(?=\s+(?:{_STOP_WORDS})\b|[,.;:!?]|\s+[-–—]\s|$)"
_ARTICLE = r"(?:(?:an?|(?-i:the)|our|my|your|this|these)\s+)?"
KNOWN_BRANDS = (
    "Nike",
    "Adidas",
    "Puma",
    "Reebok",
    "New Balance",
    "Vans",
    "Converse",
    "Red Bull",
    "Coca-Cola",
    "Pepsi",
    "Starbucks",
    "Oatly",
    "Heineken",
    "McDonald's",
    "KFC",
    "LEGO",
    "Apple",
    "AirPods",
    "iPhone",
    "iPad",
    "MacBook",
    "Samsung",
    "Google",
    "Tesla",
    "BMW",
    "Audi",
    "Porsche",
    "Toyota",
    "IKEA",
    "Airbnb",
    "Peloton",
    "Sephora",
    "Gucci",
    "Zara",
    "Uniqlo",
    "Spotify",
    "Netflix",
    "Duolingo",
)
_FILLER = {
    "create",
    "make",
    "generate",
    "produce",
    "build",
    "give",
    "me",
    "us",
    "please",
    "a",
    "an",
    "the",
    "for",
    "of",
    "our",
    "my",
    "new",
    "brand",
    "video",
    "ad",
    "advert",
    "commercial",
    "promo",
    "spot",
    "clip",
    "second",
    "seconds",
    "minute",
    "minutes",
    "sec",
    "vertical",
    "square",
    "horizontal",
    "landscape",
    "portrait",
    "with",
    "and",
    "in",
    "about",
    "that",
    "style",
    "cinematic",
    "energetic",
    "luxury",
    "minimalist",
    "playful",
    "something",
    "anything",
    "nice",
    "cool",
    "great",
    "awesome",
    "short",
    "quick",
    "fun",
    "this",
    "these",
    "your",
    "instagram",
    "tiktok",
    "youtube",
    "facebook",
    "social",
    "story",
    "reel",
    "post",
    "teaser",
    "campaign",
    "advertisement",
    "ads",
}


def sanitize(prompt: str) -> str:
    """Normalise unicode, drop terminal escapes and control characters, collapse whitespace."""
    text = _ANSI.sub("", unicodedata.normalize("NFKC", prompt))
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def find_duration(prompt: str) -> float | None:
    """Seconds the prompt asks for ('30-second', '45s', '1 minute'), or None."""
    decade_context = _DECADE_CONTEXT.search(prompt) is not None
    for pattern, scale in _DURATION_PATTERNS:
        for match in pattern.finditer(prompt):
            raw = match.group(1).lower()
            if decade_context and match.group(0).lower() == f"{raw}s" and raw in _DECADES:
                continue  # "a retro 80s look" names a decade, not a length
            value = _NUM_WORDS[raw] if raw in _NUM_WORDS else float(raw)
            return value * scale
    return None


def find_aspect(prompt: str) -> Aspect | None:
    """Aspect ratio the prompt asks for ('vertical', '9:16', 'square', ...), or None."""
    hits = [(m.start(), aspect) for aspect, rx in _ASPECT_WORDS if (m := rx.search(prompt))]
    return min(hits)[1] if hits else None


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.I) is not None


def _first_match(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    hits = [
        (m.start(), key)
        for key, words in table.items()
        for w in words
        if (m := re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, re.I))
    ]
    return min(hits)[1] if hits else None


def find_product(prompt: str) -> str:
    """The product or brand the ad is for, read from the prompt; 'your product' when none is named.

    In order: a name given outright ("a café called 'Le Petit'", "named X", a quoted name, "our app, TaskFlow"),
    what the ad is for or about ("an ad for my bakery's sourdough"), what precedes the word "ad" ("a Nike ad"),
    a known brand anywhere ("nike shoes using my product photo"), then the first capitalised word. Lengths,
    aspect ratios and platforms ("in 9:16", "for Instagram") are never part of it, nor are trailing clauses
    ("using my product photo", "with upbeat music").
    """
    text = _plain(prompt)
    if named := _named(text):
        return named
    patterns = (
        (rf"\b{_AD_WORDS}\s+(?:for|about|of|promoting|showcasing)\s+{_ARTICLE}(.+?){_STOP}", re.I),
        (
            rf"\b(?:promot(?:e|ing)|showcas(?:e|ing)|advertis(?:e|ing)|sell(?:ing)?|launch(?:ing)?|introduc(?:e|ing))\s+"
            rf"{_ARTICLE}(.+?){_STOP}",
            re.I,
        ),
        (rf"\b(?:an?|the|our|my)\s+(?:[\w-]+\s+){{0,3}}?((?:[A-Z][\w'&.-]*\s*){{1,4}}?)\s*{_AD_WORDS}\b", 0),
        (rf"((?:[A-Z0-9][\w'&.-]*\s+){{1,4}}){_AD_WORDS}\b", 0),
        (rf"\b(?:an?|the|our|my)\s+((?:[\w'&.-]+\s+){{1,4}}?){_AD_WORDS}\b", re.I),
    )
    for pattern, flags in patterns:
        for match in re.finditer(pattern, text, flags):
            if name := _clean_product(match.group(1)):
                return name
    if brand := _known_brand(text):
        return brand
    capitalised = [w for w in re.findall(r"\b[A-Z][\w'&-]+", text[1:]) if w.lower() not in _FILLER]
    return capitalised[0] if capitalised else "your product"


def _plain(prompt: str) -> str:
    """The prompt without lengths, aspect ratios and platforms, which are never part of a name."""
    text = prompt
    for pattern, _ in _DURATION_PATTERNS:
        text = pattern.sub(" ", text)
    text = re.sub(r"\b(?:in\s+)?\d+\s*[:x/]\s*\d+\b", " ", text, flags=re.I)
    text = re.sub(
        rf"\b(?:for|on)\s+(?:{_PLATFORMS})(?:\s+(?:reels?|stories|story|shorts|feeds?|ads?))?\b", " ", text, flags=re.I
    )
    return re.sub(r"\s+", " ", text).strip()


def _named(text: str) -> str | None:
    """A name the prompt gives outright: 'called X', 'named X', a quoted name, or 'our app, X'."""
    given = re.search(
        rf"\b(?:called|named|titled|branded(?:\s+as)?|brand\s+name)\s+(?:(?P<q>[\"“‘'])(?P<quoted>.+?)[\"”’']"
        rf"(?=\s|[,.;:!?]|$)|(?P<bare>.+?){_STOP})",
        text,
        re.I,
    )
    if given:
        name = given.group("quoted") or _clean_product(given.group("bare"))
        return _styled(name.strip(" ,.'\"")) or None
    quoted = re.search(r"(?:^|\s)(?P<q>[\"“‘'])(?P<name>[^\"“”‘’']{2,60})[\"”’'](?=\s|[,.;:!?]|$)", text)
    if quoted and quoted.group("name").strip():
        return _styled(quoted.group("name").strip())
    apposed = re.search(
        rf"\b(?:my|our|the|a|an)\s+[a-z][a-z\s-]{{0,30}}?,\s+((?:[A-Z][\w'&.-]*)(?:\s+[A-Z0-9][\w'&.-]*){{0,3}})"
        rf"(?=\s*(?:[,.;:!?]|$)|\s+(?:{_STOP_WORDS})\b)",
        text,
    )
    return apposed.group(1) if apposed else None


def _styled(name: str) -> str:
    """A name as brands write it: known brands in their own spelling, an all-lowercase name capitalised."""
    name = _canonical(name)
    return name.title() if name.islower() else name


def _canonical(text: str) -> str:
    """Known brands written in lower case ("red bull") in their own spelling ("Red Bull")."""
    for brand in sorted(KNOWN_BRANDS, key=len, reverse=True):
        text = re.sub(
            rf"(?<![\w-]){re.escape(brand.lower())}(?![\w-])",
            lambda m, b=brand: b if m.group(0).islower() else m.group(0),
            text,
        )
    return text


def _known_brand(text: str) -> str | None:
    """The first known brand named anywhere, with the product words that follow it ("Nike shoes")."""
    hits = [
        (m.start(), m.end(), brand)
        for brand in KNOWN_BRANDS
        if (m := re.search(rf"(?<![\w-]){re.escape(brand)}(?![\w-])", text, re.I))
    ]
    if not hits:
        return None
    _, end, brand = min(hits)
    nouns = {w for words in CATEGORY_WORDS.values() for w in words if " " not in w} - {b.lower() for b in KNOWN_BRANDS}
    kept: list[str] = []
    for word in re.findall(r"[\w'-]+", text[end:])[:2]:
        if word.lower() not in nouns:
            break
        kept.append(word)
    return " ".join([brand, *kept])


def _clean_product(raw: str) -> str:
    """A found phrase as a product name: no filler at its ends, no 'my bakery's', a name after a common noun."""
    words = [w for w in re.split(r"\s+", raw.strip().strip('"“”‘’')) if w]
    if words and re.fullmatch(r"[a-z][\w-]*'s", words[0]):  # "my bakery's sourdough": the sourdough
        words.pop(0)
    titled = len(words) >= 3 and words[0] == "The" and not any(w.islower() for w in words)  # The Golden Hour
    while words and not (titled and words[0] == "The") and words[0].lower().strip("-") in _FILLER:
        words.pop(0)
    while words and words[-1].lower().strip("-") in _FILLER:
        words.pop()
    tail = len(words)
    while tail > 0 and not words[tail - 1].islower():
        tail -= 1
    if 0 < tail < len(words) and all(w.islower() for w in words[:tail]):  # "yoga studio Zen Flow": Zen Flow
        words = words[tail:]
    return _canonical(" ".join(words)[:60].strip(" -'\"“”‘’,"))


@dataclass(frozen=True)
class PromptReading:
    """Everything the offline planner reads from a prompt."""

    product: str
    category: str
    style: str
    mood: str
    archetype: str


def read_prompt(prompt: str) -> PromptReading:
    """Read product, category, style, mood and archetype from a prompt, with sensible defaults."""
    text = sanitize(prompt)
    product = find_product(text)
    category = _first_match(f"{product} {text}", CATEGORY_WORDS) or "general"
    style = _first_match(text, STYLE_WORDS) or STYLE_BY_CATEGORY[category]
    mood = _first_match(text, MOOD_WORDS) or MOOD_BY_STYLE[style]
    archetype = next(
        (a for a, words in ARCHETYPE_WORDS.items() if any(_has_word(text, w) for w in words)), "product_showcase"
    )
    return PromptReading(product=product, category=category, style=style, mood=mood, archetype=archetype)

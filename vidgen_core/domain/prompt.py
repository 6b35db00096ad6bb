"""Reading what a prompt asks for: duration, aspect, brand, product, category, style, mood and archetype.

The rules read English, German, French, Spanish and Chinese. A prompt they find no product or brand in is refused
for the offline planner (``build_request``); the OpenAI planner reads any language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from vidgen_core.domain.catalog import Aspect
from vidgen_core.domain.models import product_name

# Number words, by what they count in an ad's length: seconds ("fifteen seconds") or minutes ("a minute", "half a
# minute"). "A second" is not a length, and no ad lasts five minutes.
_SECOND_NUMBERS = {
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
    # German, French, Spanish
    "zehn": 10,
    "fünfzehn": 15,
    "zwanzig": 20,
    "dreißig": 30,
    "sechzig": 60,
    "dix": 10,
    "quinze": 15,
    "vingt": 20,
    "trente": 30,
    "soixante": 60,
    "diez": 10,
    "quince": 15,
    "veinte": 20,
    "treinta": 30,
    "sesenta": 60,
}
_MINUTE_NUMBERS = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "half": 0.5,
    "half a": 0.5,
    "eine": 1,
    "einer": 1,
    "une": 1,
    "un": 1,
}
_NUM_WORDS = _SECOND_NUMBERS | _MINUTE_NUMBERS
# Chinese numerals are made of digits and 十 (ten): 十五 is 15, 四十 40, 四十五 45; 两 is two, 半 a half (半分钟).
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "半": 0.5}
_DIGITS = "".join(_CHINESE_DIGITS)
# A numeral up to 99, not part of a longer one (一百零五 is not read) nor of 每一秒 ("every second")
_CHINESE_NUMBER = rf"(?<![{_DIGITS}十百零每])([{_DIGITS}]?十[{_DIGITS}]?|[{_DIGITS}])"


def _words(table: Iterable[str]) -> str:
    """A regex alternation of a table's words, the longest first ("half a" before "half")."""
    return "|".join(re.escape(word) for word in sorted(table, key=len, reverse=True))


_SECONDS = "sec|secs|second|seconds|sekunde|sekunden|sek|seconde|secondes|segundo|segundos|seg"
_MINUTES = "min|mins|minute|minutes|minuten|minuto|minutos"
_DURATION_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(rf"\b(\d+(?:\.\d+)?)\s*-?\s*(?:{_SECONDS})\b", re.I), 1.0),
    (re.compile(rf"\b(\d+(?:\.\d+)?)\s*-?\s*(?:{_MINUTES})\b", re.I), 60.0),
    (re.compile(rf"\b({_words(_MINUTE_NUMBERS)})\s*-?\s*(?:{_MINUTES})\b", re.I), 60.0),
    (re.compile(rf"\b({_words(_SECOND_NUMBERS)})\s*-?\s*(?:{_SECONDS})\b", re.I), 1.0),
    (re.compile(r"\b(\d+(?:\.\d+)?)s\b", re.I), 1.0),
    (re.compile(r"\b(\d+(?:\.\d+)?)m\b", re.I), 60.0),
    # Chinese: no spaces, so no word boundaries ("做一个15秒的茶叶广告")
    (re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*秒"), 1.0),
    (re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*分钟"), 60.0),
    (re.compile(rf"{_CHINESE_NUMBER}\s*秒"), 1.0),
    (re.compile(rf"{_CHINESE_NUMBER}\s*分钟"), 60.0),
)
_HAN = re.compile(r"[\u3400-\u9fff]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_DECADES = {"20", "30", "40", "50", "60", "70", "80", "90"}
_DECADE_CONTEXT = re.compile(r"retro|vintage|nostalg|throwback|\bera\b|\bthe \d0s\b|\d0s\s+(?:style|vibe|look)", re.I)
_ASPECT_WORDS: tuple[tuple[Aspect, re.Pattern[str]], ...] = (
    (
        "9:16",
        re.compile(
            r"\b9\s*[:x/]\s*16\b|\bvertical\b|\bportrait\b|\btiktok\b|\breels?\b|\bshorts\b|"
            r"\bstor(?:y|ies)\b|\bvertikal\b|\bhochformat\b|\bhochkant\b|\bverticale\b|竖屏|竖版|竖向",
            re.I,
        ),
    ),
    ("1:1", re.compile(r"\b1\s*[:x/]\s*1\b|\bsquare\b|\bquadratisch\b|\bcarrée?\b|\bcuadrad[oa]\b|方形", re.I)),
    (
        "16:9",
        re.compile(
            r"\b16\s*[:x/]\s*9\b|\bhorizontal\b|\blandscape\b|\bwidescreen\b|\byoutube\b|\bquerformat\b|"
            r"\bpaysage\b|\bhorizontale\b|横屏|横版|横向",
            re.I,
        ),
    ),
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
        "schuhe",
        "turnschuhe",
        "chaussures",
        "baskets",
        "zapatillas",
        "zapatos",
        "鞋",
        "运动鞋",
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
        "milk",
        "mineralwasser",
        "wasser",
        "kaffee",
        "tee",
        "bier",
        "saft",
        "café",
        "thé",
        "bière",
        "jus",
        "eau",
        "vin",
        "lait",
        "agua",
        "cerveza",
        "zumo",
        "jugo",
        "vino",
        "leche",
        "茶",
        "茶叶",
        "咖啡",
        "啤酒",
        "矿泉水",
        "饮料",
        "奶茶",
        "牛奶",
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
        "schokolade",
        "brot",
        "chocolat",
        "pain",
        "boulangerie",
        "pan",
        "panadería",
        "巧克力",
        "面包",
        "火锅",
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
_NOUNS = frozenset(  # the things a category is about ("coffee", "sneakers"), not the brands listed with them
    w for words in CATEGORY_WORDS.values() for w in words if w not in {b.lower() for b in KNOWN_BRANDS}
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
            return _number(raw) * scale
    return None


def _number(text: str) -> float:
    """A number as a length is written: in digits, as a word of the tables, or as a Chinese numeral."""
    if text in _NUM_WORDS:
        return _NUM_WORDS[text]
    if _HAN.search(text):
        tens, ten, units = text.partition("十")
        if not ten:
            return _CHINESE_DIGITS[text]
        return _CHINESE_DIGITS.get(tens, 1) * 10 + _CHINESE_DIGITS.get(units, 0)
    return float(text)


def find_aspect(prompt: str) -> Aspect | None:
    """Aspect ratio the prompt asks for ('vertical', '9:16', 'square', ...), or None."""
    hits = [(m.start(), aspect) for aspect, rx in _ASPECT_WORDS if (m := rx.search(prompt))]
    return min(hits)[1] if hits else None


def _word(word: str) -> str:
    """A pattern for ``word`` as a whole word; Chinese has no spaces between words, so there it is any match."""
    return re.escape(word) if _HAN.search(word) else rf"(?<![\w-]){re.escape(word)}(?![\w-])"


def _has_word(text: str, word: str) -> bool:
    return re.search(_word(word), text, re.I) is not None


def _first_match(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    hits = [(m.start(), key) for key, words in table.items() for w in words if (m := re.search(_word(w), text, re.I))]
    return min(hits)[1] if hits else None


# Words only a German, French or Spanish request for an ad uses (accents alone would take "a café called X" for French)
LANGUAGE_WORDS = {
    "de": re.compile(r"\b(?:werbung|werbespot|für|sekunden|minuten|erstelle|mach|unsere?n?|mit|und|eine?n?)\b", re.I),
    "fr": re.compile(r"\b(?:publicité|pub|pour|secondes|crée[rz]?|fais|faites|une|avec|notre|nos|vidéo)\b", re.I),
    "es": re.compile(r"\b(?:anuncio|publicidad|para|segundos|minutos?|haz|crea|con|nuestr[oa]|del|una)\b", re.I),
}


def find_language(prompt: str) -> str:
    """The language a prompt is written in, of those the rules read: "zh", "de", "fr", "es", else "en"."""
    if _HAN.search(prompt):
        return "zh"
    hits = {lang: len(words.findall(prompt)) for lang, words in LANGUAGE_WORDS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    return best if hits[best] else "en"


def readable(prompt: str) -> bool:
    """Whether the rules can read the prompt: most of its letters Latin or Chinese (not Cyrillic, Arabic, kana...)."""
    letters = [ch for ch in prompt if ch.isalpha()]
    known = sum(ord(ch) < 0x250 or _HAN.match(ch) is not None for ch in letters)
    return 2 * known >= len(letters)


def find_product(prompt: str) -> str:
    """The product or brand the ad is for, read from the prompt; '' when none is named.

    In order: a name given outright ("a café called 'Le Petit'", "named X", a quoted name, "our app, TaskFlow"),
    what the ad is for or about ("an ad for my bakery's sourdough"), what precedes the word "ad" ("a Nike ad"),
    a known brand anywhere ("nike shoes using my product photo"), then the first capitalised word. Lengths,
    aspect ratios and platforms ("in 9:16", "for Instagram") are never part of it, nor are trailing clauses
    ("using my product photo", "with upbeat music").
    """
    text = _plain(prompt)
    if named := _named(text):
        return named
    if foreign := _foreign(text):
        return foreign
    patterns = (
        (rf"\b{_AD_WORDS}\s*[:：]\s*(.+?){_STOP}", re.I),  # "ten second ad: Ferngully organic oat milk"
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
    if capitalised:
        return capitalised[0]
    nouns = [(m.start(), m.group(0)) for noun in _NOUNS if (m := re.search(_word(noun), text, re.I))]
    return min(nouns)[1] if nouns else ""  # "lifestyle coffee ad": coffee


# What the ad is for in German, French and Spanish ("Werbung für X", "publicité pour X", "anuncio de X"), and
# the words that end it; the name is kept whole ("café Lavazza") for split_name to take apart.
_FOREIGN_AD = (
    r"\b(?:\w*werbung|werbespot|werbevideo|\w*anzeige|reklame|publicité|publicite|pub|annonce|réclame|vidéo|"
    r"anuncio|publicidad|comercial|vídeo)\b[^,.;:!?]*?\s(?:{preposition})\s+"
    r"(?:(?:die|der|das|den|dem|unser(?:e|en)?|mein(?:e|en)?|le|la|les|un|une|des|du|notre|mon|ma|nos|el|los|"
    r"las|una|nuestr[oa]s?|mi|mis)\s+|l')?"
)
_FOREIGN_PREPOSITIONS = ("für|fuer|über|pour|para|sobre", "de|del|du|des|d'")  # "for" before "of"
_FOREIGN_LEAD = {"de", "del", "du", "des", "la", "le", "les", "el", "los", "las", "un", "una", "une", "die", "der"}
_FOREIGN_STOP = (
    r"(?=\s+(?:mit|und|im|in|auf|als|für|avec|et|en|sur|dans|pour|qui|con|y|para|que|sobre|format|formato)\b"
    r"|[,.;:!?]|\s+[-–—]\s|$)"
)
# Chinese: what precedes 广告 (ad) after the last 的 and any verb or measure word ("做一个15秒的茶叶广告": 茶叶),
# or what an ad is made for ("为Bergquell矿泉水做一个广告")
_CHINESE_FOR = re.compile(r"(?:为|给)\s*(.+?)\s*(?:做|制作|拍|拍摄|创建|生成|设计)")
_CHINESE_AD = re.compile(r"([^\s，。,.!?！？的]+?)\s*(?:广告|宣传片|宣传视频|短视频)")
_CHINESE_LEAD = re.compile(r"^(?:请|帮我|给我|为我)?(?:做|制作|拍|拍摄|创建|生成|设计)?(?:一|1)?(?:个|条|支|部|则|段)?")


def _foreign(text: str) -> str | None:
    """The product named in a German, French, Spanish or Chinese prompt, if it is one."""
    for preposition in _FOREIGN_PREPOSITIONS:
        ad = _FOREIGN_AD.format(preposition=preposition)
        if found := re.search(rf"{ad}(.+?){_FOREIGN_STOP}", text, re.I):
            words = found.group(1).split()
            while words and words[0].lower() in _FOREIGN_LEAD:  # "anuncio de [15 segundos] del café"
                words.pop(0)
            return _canonical(" ".join(words)[:60].strip(" -'\"“”‘’,")) or None
    if not _HAN.search(text):
        return None
    for pattern in (_CHINESE_FOR, _CHINESE_AD):
        if (found := pattern.search(text)) and (name := _CHINESE_LEAD.sub("", found.group(1)).strip()):
            return name
    return None


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
    kept: list[str] = []
    for word in re.findall(r"[\w'-]+", text[end:])[:2]:
        if word.lower() not in _NOUNS:
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


def split_name(name: str) -> tuple[str, str]:
    """A product name as (brand, product): "Ferngully organic oat milk" is Ferngully's organic oat milk, "Bergquell
    Mineralwasser" and "café Lavazza" are Bergquell's and Lavazza's; a name of capitalised words only ("Bean
    There", "Galaxy S30") is a brand, one of lower-case words ("running shoes"), or Chinese, a product."""
    for brand in sorted(KNOWN_BRANDS, key=len, reverse=True):
        known = re.fullmatch(rf"{re.escape(brand)}(?:\s+(\D.*))?", name, re.I)  # not "iPhone" of "iPhone 17 Pro"
        if known:
            return name[: len(brand)], (known.group(1) or "").strip()
    if mixed := re.fullmatch(r"([A-Za-z][A-Za-z0-9'&.-]*(?:\s+[A-Z][A-Za-z0-9'&.-]*)*)\s*([\u3400-\u9fff].*)", name):
        return mixed.group(1), mixed.group(2)  # "Bergquell矿泉水"
    if after := re.fullmatch(r"((?:[a-zà-ÿ][\w'-]*\s+)+)((?:[A-Z][\w'&.-]*\s*)+)", name):
        return after.group(2).strip(), after.group(1).strip()  # "café Lavazza": the product, then its brand
    if _HAN.search(name):
        return "", name
    words = name.split()
    cut = next((i for i, w in enumerate(words) if w.islower() or w.lower() in _GERMAN_NOUNS), len(words))
    return " ".join(words[:cut]), " ".join(words[cut:])


_GERMAN_NOUNS = frozenset(  # German writes nouns capitalised: "Bergquell Mineralwasser" is a brand and a product
    ("schuhe", "turnschuhe", "mineralwasser", "wasser", "kaffee", "tee", "bier", "saft", "schokolade", "brot")
)


@dataclass(frozen=True)
class PromptReading:
    """Everything the offline planner reads from a prompt. ``brand`` and ``product`` may each be empty."""

    brand: str
    product: str
    category: str
    style: str
    mood: str
    archetype: str

    @property
    def name(self) -> str:
        return product_name(self.brand, self.product)


def read_prompt(prompt: str) -> PromptReading:
    """Read brand, product, category, style, mood and archetype from a prompt, with sensible defaults."""
    text = sanitize(prompt)
    name = find_product(text)
    brand, product = split_name(name)
    category = _first_match(f"{name} {text}", CATEGORY_WORDS) or "general"
    style = _first_match(text, STYLE_WORDS) or STYLE_BY_CATEGORY[category]
    mood = _first_match(text, MOOD_WORDS) or MOOD_BY_STYLE[style]
    archetype = next(
        (a for a, words in ARCHETYPE_WORDS.items() if any(_has_word(text, w) for w in words)), "product_showcase"
    )
    return PromptReading(brand=brand, product=product, category=category, style=style, mood=mood, archetype=archetype)

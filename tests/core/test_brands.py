"""Reading the product or brand from a prompt: the table below is the spec."""

from __future__ import annotations

import pytest

from vidgen_core.domain.prompt import read_prompt

BRANDS: list[tuple[str, str]] = [
    # named brands, however the ad is asked for
    ("Create a 30-second Nike ad", "Nike"),
    ("Red Bull ad with upbeat music", "Red Bull"),
    ("A 20-second vertical ad for Oatly oat milk", "Oatly oat milk"),
    ("Lego commercial for Instagram", "Lego"),
    ("Apple AirPods ad in 9:16", "Apple AirPods"),
    ("Make a 45s vertical ad for Red Bull energy drink", "Red Bull energy drink"),
    ("A 1 minute cinematic commercial for the Tesla Model 3", "Tesla Model 3"),
    ("Launching the Galaxy S30: a bold teaser", "Galaxy S30"),
    ("A sleek minimalist ad for the new iPhone 17 Pro", "iPhone 17 Pro"),
    ("A 30-second ad for Nike Air Max 90", "Nike Air Max 90"),
    ("A 10s ad for Coca-Cola, 1:1, with upbeat music", "Coca-Cola"),
    ("A 15-second spot for Heineken with dramatic music in 16:9", "Heineken"),
    ("Create a vertical TikTok ad for Glossier skincare", "Glossier skincare"),
    ("30 second ad about Patagonia jackets targeting hikers", "Patagonia jackets"),
    ("Ad for Starbucks pumpkin spice latte shot on a rainy street", "Starbucks pumpkin spice latte"),
    ("Make an ad for Ben & Jerry's ice cream", "Ben & Jerry's ice cream"),
    ("Give me a 9:16 ad for Duolingo", "Duolingo"),
    # trailing clauses are not part of the product
    ("Nike shoes using my product photo", "Nike shoes"),
    ("Create an ad for Nike shoes using my product photo", "Nike shoes"),
    ("An energetic ad for Adidas sneakers for TikTok", "Adidas sneakers"),
    # lower-case brands are written as the brand writes itself
    ("make a nike ad", "Nike"),
    ("an ad for red bull", "Red Bull"),
    ("a 15 second video for oatly", "Oatly"),
    # names given outright: called, named, quoted, apposed
    ("a cozy coffee shop called Bean There", "Bean There"),
    ("Make a 15-second ad for a coffee shop called Bean There", "Bean There"),
    ("An ad for my bakery named Sweet Crumbs, warm and cozy", "Sweet Crumbs"),
    ("a café called 'Le Petit'", "Le Petit"),
    ('A video for a bar called "The Golden Hour" in 9:16', "The Golden Hour"),
    ("an ad for my flower shop called bloom & co", "Bloom & Co"),
    ("A 30 second promo for our app, TaskFlow", "TaskFlow"),
    ("Promote my yoga studio Zen Flow with calm music", "Zen Flow"),
    (
        "A 20-second ad for The Extraordinarily Long Artisan Sourdough Bakery Collective",
        "The Extraordinarily Long Artisan Sourdough Bakery Collective",
    ),
    ("an Instagram story for Bloom Florist", "Bloom Florist"),
    ("Promo for Joe's Pizza in Brooklyn", "Joe's Pizza"),
    # possessives and generic products
    ("an ad for my bakery's new sourdough bread", "sourdough bread"),
    ("ad for my coffee shop", "coffee shop"),
    ("Make an ad for running shoes", "running shoes"),
    ("Make a fun ad for a dog grooming business", "dog grooming business"),
    ("a luxury perfume ad", "perfume"),
    ("Introducing our luxury perfume, calm and elegant", "perfume"),
    # nothing named
    ("create something nice", ""),
    ("Create a video ad", ""),
    ("a 30-second vertical ad with upbeat music", ""),
]


@pytest.mark.parametrize(("prompt", "product"), BRANDS)
def test_product_is_read_from_the_prompt(prompt: str, product: str) -> None:
    assert read_prompt(prompt).name == product


@pytest.mark.parametrize(
    ("prompt", "category"),
    [
        ("a cozy coffee shop called Bean There", "beverage"),
        ("Nike shoes using my product photo", "footwear"),
        ("Apple AirPods ad in 9:16", "tech"),
        ("an ad for my bakery's new sourdough bread", "food"),
    ],
)
def test_category_follows_the_whole_prompt(prompt: str, category: str) -> None:
    assert read_prompt(prompt).category == category

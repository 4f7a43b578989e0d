"""Which titles tell one story (pure): two headlines of different outlets, published within 48
hours of each other, about the same event. Outlets word one story differently ("Crypto Firm Tether
Says It Wants to Take Over Italian Football Club Juventus" / "Crypto giant Tether offers to buy
famous Italian football club Juventus"), so plain word overlap is low: the decision combines
rapidfuzz's token-set similarity of the normalised titles, the distinctive words they share, the
coins they name (naming different coins is a different story) and the time between them. Its
precision and recall on hand-made pairs are measured in tests/unit/test_stories.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

WINDOW = timedelta(hours=48)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP = _words("""
a an the and or but of to in on at for from by with as is are was were be been being it its this
that these those after before over under into out up down about against amid among than then so
says say said says report reports reported new news just now today week year could would will
may might can not no yes how why what who when where which while as has have had do does did
more most less least very also still per vs via amid set sees see eyes looks look
""")
# Words outlets put around a story that do not tell which story it is.
FILLER = _words("""
crypto cryptocurrency market markets price prices analyst analysts trader traders token tokens
coin coins firm giant company exchange daily weekly update latest breaking here heres
""")


@dataclass(frozen=True)
class Headline:
    id: int
    title: str
    source: str
    published_at: datetime | None
    coins: frozenset[str] = frozenset()


def normalise(title: str) -> str:
    text = title.lower().replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[^a-z0-9$%.\s]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return " ".join(text.split())


def key_words(title: str) -> set[str]:
    """The words that say which story it is: no stop words, no filler, plural folded."""
    words = set()
    for word in normalise(title).split():
        if word in STOP or word in FILLER or (len(word) < 3 and not word.isdigit()):
            continue
        words.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return words


@lru_cache(maxsize=1)
def _coin_words() -> frozenset[str]:
    """Words that name a coin: shared, they say little (many stories name bitcoin)."""
    from ..coins import load_lexicon

    words: set[str] = set()
    for coin in load_lexicon().coins:
        for name in (*coin.names, *coin.word_names, coin.symbol):
            words.update(key_words(name))
    return frozenset(words)


# Weights and threshold chosen on the hand-made pairs of tests/unit/test_stories.py (so its
# figures are in-sample: see docs/sources.md).
TEXT, STRONG, WEAK, PER_HOUR, THRESHOLD = 0.7, 12.0, 3.0, 0.25, 68.0


def score(a: Headline, b: Headline) -> float:
    """How alike two titles are as one story's: rapidfuzz's token-set similarity of their key
    words, plus each distinctive word they share (less for a coin's name or a bare number),
    less a little for each hour between them."""
    from rapidfuzz import fuzz

    words_a, words_b = key_words(a.title), key_words(b.title)
    shared = words_a & words_b
    weak = {w for w in shared if w in _coin_words() or w.isdigit()}
    text = fuzz.token_set_ratio(" ".join(sorted(words_a)), " ".join(sorted(words_b)))
    hours = abs(a.published_at - b.published_at).total_seconds() / 3600 if (
        a.published_at and b.published_at) else 0.0
    return TEXT * text + STRONG * len(shared - weak) + WEAK * len(weak) - PER_HOUR * hours


def same_story(a: Headline, b: Headline) -> bool:
    """Different outlets, within 48 hours, not about different coins, and alike enough."""
    if a.source == b.source or a.published_at is None or b.published_at is None:
        return False
    if abs(a.published_at - b.published_at) > WINDOW:
        return False
    if a.coins and b.coins and not a.coins & b.coins:
        return False
    return score(a, b) >= THRESHOLD


def best_match(title: Headline, others: list[Headline]) -> Headline | None:
    """The most alike title of another source that tells the same story, if any."""
    matches = [o for o in others if o.id != title.id and same_story(title, o)]
    return max(matches, key=lambda o: (score(title, o), -o.id), default=None)

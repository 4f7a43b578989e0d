"""The matching rules, pure functions of a headline and the lexicon.

- Names and aliases: case-insensitive, whole words, also possessive or plural ("Bitcoin's",
  "Bitcoins"); the longest name wins ("Bitcoin Cash" is BCH, not BTC). A name marked as an
  ordinary word (~Maker, ~Curve) counts only when the coin's ticker is in the headline too.
- Tickers: upper case as whole words ("BTC, ETH Slide"), as $TICKER in any case ("$pepe"), or in
  parentheses ("Cardano (ADA)"). A ticker that is an ordinary word or name (ONE, SUN, NEAR, S)
  counts only as $TICKER, in parentheses, or beside its name.
- Never inside another word: "Ethereal" is not Ether, "SOLution" not SOL.
- Company and person names are not coins (Ripple, Binance, Tether): the lexicon says which
  names count, and it lists none of them.
"""

from __future__ import annotations

import re
from functools import cache

from .lexicon import Lexicon

_END = r"(?:['\u2019]s|s|es)?(?![\w])"  # a possessive or plural, then no more word


def _name_pattern(name: str) -> str:
    words = [re.escape(w) for w in name.split()]
    return r"(?<![\w$])" + r"\s+".join(words) + _END


@cache
def _compiled(lexicon: Lexicon) -> tuple[list[tuple[re.Pattern[str], str]], ...]:
    names, word_names, tickers, marked = [], [], [], []
    for coin in lexicon.coins:
        for name in coin.names:
            names.append((len(name), re.compile(_name_pattern(name), re.IGNORECASE), coin.symbol))
        for name in coin.word_names:
            word_names.append((re.compile(_name_pattern(name), re.IGNORECASE), coin.symbol))
        tick = re.escape(coin.symbol)
        marked.append((re.compile(rf"\(\s*{tick}\s*\)"), coin.symbol))  # "Cardano (ADA)"
        marked.append((re.compile(rf"(?<![\w$])\${tick}(?![\w])", re.IGNORECASE), coin.symbol))
        if not coin.ticker_is_word:
            tickers.append((re.compile(rf"(?<![\w$]){tick}(?![\w])"), coin.symbol))
    names.sort(key=lambda item: -item[0])  # the longest name first
    return [(p, s) for _, p, s in names], word_names, tickers, marked


def coins_in(title: str, lexicon: Lexicon) -> list[str]:
    """The symbols of the coins `title` is about, sorted; [] when none."""
    names, word_names, tickers, marked = _compiled(lexicon)
    found: set[str] = set()
    text = title
    for pattern, symbol in names:
        if pattern.search(text):
            found.add(symbol)
            text = pattern.sub(lambda m: " " * len(m.group(0)), text)  # a longer name owns it
    by_ticker = {s for p, s in [*marked, *tickers] if p.search(title)}
    found |= by_ticker
    for pattern, symbol in word_names:
        if symbol in by_ticker and pattern.search(text):
            found.add(symbol)
    return sorted(found)


def _keyword_pattern(keyword: str) -> str:
    if keyword == "%":
        return r"\d\s*%"
    stem = keyword.rstrip("*")
    words = r"\s+".join(re.escape(w) for w in stem.split())
    tail = r"\w*" if keyword.endswith("*") else ""
    return rf"(?<![\w]){words}{tail}(?![\w])"


@cache
def _topic_patterns(lexicon: Lexicon) -> list[tuple[str, re.Pattern[str]]]:
    return [
        (topic, re.compile("|".join(_keyword_pattern(k) for k in keywords), re.IGNORECASE))
        for topic, keywords in lexicon.topics
    ]


def topics_in(title: str, lexicon: Lexicon) -> list[str]:
    """The topics whose keywords `title` holds, sorted."""
    return sorted(topic for topic, pattern in _topic_patterns(lexicon) if pattern.search(title))

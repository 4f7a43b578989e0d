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
from dataclasses import dataclass
from functools import cache

from .lexicon import Lexicon

_END = r"(?:['\u2019]s|s|es)?(?![\w])"  # a possessive or plural, then no more word


def _name_pattern(name: str) -> str:
    words = [re.escape(w) for w in name.split()]
    return r"(?<![\w$])" + r"\s+".join(words) + _END


_WORD = re.compile(r"\w+")


def _key(text: str) -> str:
    """The first word of a name or ticker, lower case: what a headline must hold to be tried."""
    found = _WORD.search(text.lower())
    return found.group(0) if found else text.lower()


@cache
def _index(lexicon: Lexicon) -> dict[str, frozenset[str]]:
    """First word (lower case) -> the coins one of whose names or ticker starts with it."""
    index: dict[str, set[str]] = {}
    for coin in lexicon.coins:
        for text in (*coin.names, *coin.word_names, coin.symbol):
            index.setdefault(_key(text), set()).add(coin.symbol)
    return {key: frozenset(symbols) for key, symbols in index.items()}


def _candidates(title: str, lexicon: Lexicon) -> frozenset[str]:
    """The coins worth trying on `title`: a dictionary look-up per word (and per word without a
    plural ending), instead of every pattern of every coin on every headline."""
    index = _index(lexicon)
    found: set[str] = set()
    for word in _WORD.findall(title.lower()):
        for form in (word, word[:-1], word[:-2]):
            found |= index.get(form, frozenset())
    return frozenset(found)


@dataclass(frozen=True)
class _Patterns:
    names: tuple[tuple[int, re.Pattern[str]], ...]  # (length, pattern): the longest name first
    word_names: tuple[re.Pattern[str], ...]
    tickers: tuple[re.Pattern[str], ...]  # $TICK, (TICK), and TICK unless it is a word


@cache
def _compiled(lexicon: Lexicon) -> dict[str, _Patterns]:
    compiled = {}
    for coin in lexicon.coins:
        tick = re.escape(coin.symbol)
        tickers = [
            re.compile(rf"\(\s*{tick}\s*\)"),  # "Cardano (ADA)"
            re.compile(rf"(?<![\w$])\${tick}(?![\w])", re.IGNORECASE),  # "$PEPE", "$pepe"
        ]
        if not coin.ticker_is_word:
            tickers.append(re.compile(rf"(?<![\w$]){tick}(?![\w])"))  # "BTC, ETH Slide"
        compiled[coin.symbol] = _Patterns(
            tuple((len(n), re.compile(_name_pattern(n), re.IGNORECASE)) for n in coin.names),
            tuple(re.compile(_name_pattern(n), re.IGNORECASE) for n in coin.word_names),
            tuple(tickers),
        )
    return compiled


def coins_in(title: str, lexicon: Lexicon) -> list[str]:
    """The symbols of the coins `title` is about, sorted; [] when none."""
    candidates = _candidates(title, lexicon)
    if not candidates:
        return []
    compiled = _compiled(lexicon)
    names = sorted(
        ((length, pattern, symbol) for symbol in candidates
         for length, pattern in compiled[symbol].names),
        key=lambda item: -item[0],
    )
    found: set[str] = set()
    text = title
    for _, pattern, symbol in names:
        if pattern.search(text):
            found.add(symbol)
            text = pattern.sub(lambda m: " " * len(m.group(0)), text)  # a longer name owns it
    by_ticker = {s for s in candidates if any(p.search(title) for p in compiled[s].tickers)}
    found |= by_ticker
    for symbol in by_ticker:
        if any(p.search(text) for p in compiled[symbol].word_names):
            found.add(symbol)
    return sorted(found)


@dataclass(frozen=True)
class _Topic:
    name: str
    words: frozenset[str]  # whole words
    prefixes: tuple[str, ...]  # keyword* : any word starting so
    phrases: tuple[str, ...]  # several words in a row, " "-joined
    percent: bool  # "%": a number with a percent sign


@cache
def _topics(lexicon: Lexicon) -> tuple[_Topic, ...]:
    made = []
    for name, keywords in lexicon.topics:
        words, prefixes, phrases = set(), [], []
        for keyword in keywords:
            tokens = _WORD.findall(keyword.lower())
            if keyword.endswith("*") and len(tokens) == 1:
                prefixes.append(tokens[0])
            elif len(tokens) == 1:
                words.add(tokens[0])
            elif tokens:
                phrases.append(" ".join(tokens))
        made.append(_Topic(name, frozenset(words), tuple(prefixes), tuple(phrases),
                           "%" in keywords))
    return tuple(made)


_PERCENT = re.compile(r"\d\s*%")


def topics_in(title: str, lexicon: Lexicon) -> list[str]:
    """The topics whose keywords `title` holds as whole words (case-insensitive), sorted."""
    words = _WORD.findall(title.lower())
    present, joined = set(words), " " + " ".join(words) + " "
    return sorted(
        topic.name for topic in _topics(lexicon)
        if present & topic.words
        or any(w.startswith(p) for p in topic.prefixes for w in words)
        or any(f" {phrase} " in joined for phrase in topic.phrases)
        or (topic.percent and _PERCENT.search(title))
    )

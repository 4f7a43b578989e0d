"""Loading the coin lexicon (and the topic keywords): every malformed row fails loudly, named."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import ConfigError

HERE = Path(__file__).resolve().parent
_TICKER = re.compile(r"^[A-Z0-9]{1,10}$")


class LexiconError(ConfigError):
    """A lexicon row is malformed or contradicts another."""


@dataclass(frozen=True)
class Coin:
    symbol: str
    names: tuple[str, ...]  # the name first, then its aliases
    ticker_is_word: bool
    word_names: tuple[str, ...] = ()  # names that are ordinary words: only beside the ticker

    @property
    def name(self) -> str:
        """The coin's name as people write it (the first of the lexicon's names)."""
        return (*self.names, *self.word_names, self.symbol)[0]


@dataclass(frozen=True)
class Lexicon:
    coins: tuple[Coin, ...]
    topics: tuple[tuple[str, tuple[str, ...]], ...]  # (topic, keywords)
    version: str  # changes with any change to the data files


def _rows(text: str) -> list[tuple[int, list[str]]]:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
    return [(lines[i][0], row) for i, row in enumerate(reader)]


def parse_lexicon(text: str, source: str = "lexicon.csv") -> tuple[Coin, ...]:
    rows = _rows(text)
    if not rows or rows[0][1] != ["symbol", "name", "aliases", "ticker_is_word"]:
        raise LexiconError(f"{source}: the header must be symbol,name,aliases,ticker_is_word")
    coins: list[Coin] = []
    owner: dict[str, tuple[str, int]] = {}  # a name or alias (lower case) -> (symbol, line)
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 4:
            raise LexiconError(f"{source} line {line}: {len(row)} fields, want 4: {row}")
        symbol, name, aliases, flag = (cell.strip() for cell in row)
        if not _TICKER.match(symbol):
            raise LexiconError(
                f"{source} line {line}: the symbol {symbol!r} is missing or not an upper-case "
                "ticker"
            )
        if not name:
            raise LexiconError(f"{source} line {line}: {symbol} has no name")
        if flag not in ("", "yes"):
            raise LexiconError(
                f"{source} line {line}: ticker_is_word is 'yes' or empty, not {flag!r}"
            )
        written = (name, *(a.strip() for a in aliases.split(";") if a.strip()))
        names = tuple(n for n in written if not n.startswith("~"))
        word_names = tuple(n[1:].strip() for n in written if n.startswith("~"))
        for each in (*names, *word_names):
            key = each.lower()
            if key in owner and owner[key][0] != symbol:
                other, other_line = owner[key]
                raise LexiconError(
                    f"{source} line {line}: {each!r} maps to {symbol}, but line {other_line} maps "
                    f"it to {other}; one name, one coin"
                )
            owner[key] = (symbol, line)
        if any(c.symbol == symbol for c in coins):
            raise LexiconError(f"{source} line {line}: {symbol} appears twice")
        coins.append(Coin(symbol, names, flag == "yes", word_names))
    return tuple(coins)


def parse_topics(text: str, source: str = "topics.csv") -> tuple[tuple[str, tuple[str, ...]], ...]:
    rows = _rows(text)
    if not rows or rows[0][1] != ["topic", "keywords"]:
        raise LexiconError(f"{source}: the header must be topic,keywords")
    topics = []
    for line, row in rows[1:]:
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise LexiconError(f"{source} line {line}: want a topic and ';'-separated keywords")
        keywords = tuple(k.strip().lower() for k in row[1].split(";") if k.strip())
        topics.append((row[0].strip(), keywords))
    return tuple(topics)


@cache
def load_lexicon(folder: Path = HERE) -> Lexicon:
    """The lexicon shipped with the package (cached)."""
    coins_text = (folder / "lexicon.csv").read_text(encoding="utf-8")
    topics_text = (folder / "topics.csv").read_text(encoding="utf-8")
    digest = hashlib.sha256((coins_text + "\0" + topics_text).encode()).hexdigest()[:12]
    return Lexicon(parse_lexicon(coins_text), parse_topics(topics_text), f"lexicon-{digest}")

"""Which coins a headline is about: a lexicon shipped as data (lexicon.csv) and pure matching
rules; topics by keyword rules (topics.csv). See `match` for the rules."""

from .lexicon import Coin, Lexicon, LexiconError, load_lexicon
from .match import coins_in, topics_in

__all__ = ["Coin", "Lexicon", "LexiconError", "coins_in", "load_lexicon", "topics_in"]

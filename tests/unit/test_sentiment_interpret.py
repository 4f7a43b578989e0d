"""interpret() and truncate(): pure functions of the response body and the title."""

from __future__ import annotations

import pytest

from utoday_sentiment.labelling.interpret import (
    MAX_INPUT_BYTES,
    InvalidResponse,
    UnknownLabel,
    interpret,
    truncate,
)
from utoday_sentiment.settings import load_settings

DEFAULT = load_settings({}).label_map


def result(pos: float, neu: float, neg: float) -> list[dict]:
    return sorted(
        [
            {"label": "positive", "score": pos},
            {"label": "neutral", "score": neu},
            {"label": "negative", "score": neg},
        ],
        key=lambda e: -e["score"],
    )


def test_one_prediction_per_input_in_order():
    data = [result(0.9, 0.07, 0.03), result(0.1, 0.2, 0.7)]
    first, second = interpret(data, 2, DEFAULT)
    assert (first.sentiment, first.score) == ("positive", 0.9)
    assert first.scores == {"positive": 0.9, "neutral": 0.07, "negative": 0.03}
    assert (second.sentiment, second.score) == ("negative", 0.7)


def test_single_input_may_come_flat_or_nested():
    nested = interpret([result(0.2, 0.7, 0.1)], 1, DEFAULT)
    flat = interpret(result(0.2, 0.7, 0.1), 1, DEFAULT)
    assert nested == flat
    assert nested[0].sentiment == "neutral"


def test_labels_map_by_name_case_insensitively():
    data = [[{"label": "POSITIVE", "score": 0.6}, {"label": "Negative", "score": 0.4}]]
    assert interpret(data, 1, DEFAULT)[0].sentiment == "positive"


def test_custom_label_map_and_labels_adding_up():
    crypto = load_settings(
        {"HF_LABEL_MAP": "Bullish=positive,Bearish=negative,Neutral=neutral"}
    ).label_map
    data = [
        [
            {"label": "Bearish", "score": 0.5},
            {"label": "Bullish", "score": 0.3},
            {"label": "Neutral", "score": 0.2},
        ]
    ]
    assert interpret(data, 1, crypto)[0].sentiment == "negative"
    stars = load_settings(
        {
            "HF_LABEL_MAP": "1 star=negative,2 stars=negative,3 stars=neutral,4 stars=positive,5 stars=positive"
        }
    ).label_map
    data = [
        [
            {"label": "3 stars", "score": 0.4},
            {"label": "1 star", "score": 0.3},
            {"label": "2 stars", "score": 0.3},
        ]
    ]
    prediction = interpret(data, 1, stars)[0]
    assert prediction.sentiment == "negative"
    assert prediction.score == pytest.approx(0.6)


def test_unknown_label_is_an_error_never_a_guess():
    with pytest.raises(UnknownLabel, match="'LABEL_0'.*HF_LABEL_MAP"):
        interpret([[{"label": "LABEL_0", "score": 0.9}]], 1, DEFAULT)


@pytest.mark.parametrize(
    ("data", "count", "message"),
    [
        ([result(0.9, 0.05, 0.05)], 2, "1 results for 2 titles"),
        ([result(0.9, 0.05, 0.05)] * 3, 2, "3 results for 2 titles"),
        # an old server image without top_k: the top label only, in one flat list
        (
            [{"label": "positive", "score": 0.9}, {"label": "neutral", "score": 0.8}],
            2,
            "result 0 is not a list",
        ),
        (
            {"error": "Model is overloaded"},
            1,
            "an error object instead of results: Model is overloaded",
        ),
        ("positive", 1, "a str instead of a list"),
        (None, 1, "a NoneType instead of a list"),
        ([[]], 1, "result 0 is not a list of labels"),
        ([[{"label": "positive"}]], 1, "score None"),
        ([[{"label": "positive", "score": 1.5}]], 1, "score 1.5"),
        ([[{"label": "positive", "score": "0.9"}]], 1, "score '0.9'"),
        ([[{"label": "positive", "score": True}]], 1, "result 0 holds"),
        ([["positive", 0.9]], 1, "result 0 holds"),
    ],
)
def test_malformed_responses_are_errors(data, count, message):
    with pytest.raises(InvalidResponse, match=message):
        interpret(data, count, DEFAULT)


def test_truncate_keeps_short_titles_and_cuts_on_character_boundaries():
    assert truncate("Bitcoin Climbs") == "Bitcoin Climbs"
    long = "🚀" * 200  # 800 bytes
    cut = truncate(long)
    assert len(cut.encode()) <= MAX_INPUT_BYTES
    assert cut == "🚀" * (MAX_INPUT_BYTES // 4)

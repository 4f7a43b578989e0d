"""Is the label right? The measures on a hand-computed case, a blind and reproducible sample,
an all-or-nothing import, and reports that write nothing."""

from __future__ import annotations

import csv
import json

import pytest

from tests.helpers import TOKEN
from utoday_sentiment.cli import main
from utoday_sentiment.errors import ConfigError
from utoday_sentiment.metrics import compare, report

TRUTH = ["positive"] * 3 + ["neutral"] * 3 + ["negative"] * 3
GUESS = ["positive", "positive", "neutral", "neutral", "neutral", "positive",
         "negative", "negative", "neutral"]


def test_the_measures_on_a_case_worked_out_by_hand():
    # rows = truth (negative, neutral, positive), columns = the model's label
    result = report(TRUTH, GUESS, model="m")
    assert result["confusion"] == {"labels": ["negative", "neutral", "positive"],
                                   "matrix": [[2, 1, 0], [0, 2, 1], [0, 1, 2]]}
    exact = pytest.approx  # the measures at full precision, as worked out by hand
    assert result["n"] == 9 and result["accuracy"] == exact(6 / 9, abs=1e-12)  # 6 of 9
    per = result["per_class"]
    assert per["negative"] == {"precision": 1.0, "recall": exact(2 / 3), "f1": exact(0.8),
                               "support": 3}
    assert per["neutral"] == {"precision": 0.5, "recall": exact(2 / 3), "f1": exact(4 / 7),
                              "support": 3}
    assert per["positive"] == {"precision": exact(2 / 3), "recall": exact(2 / 3),
                               "f1": exact(2 / 3), "support": 3}
    assert result["macro_f1"] == exact((0.8 + 4 / 7 + 2 / 3) / 3, abs=1e-12)
    low, high = result["ci"]["accuracy"]
    assert low <= 6 / 9 <= high and result["ci"] == report(TRUTH, GUESS, model="m")["ci"]
    assert set(result) == {"n", "accuracy", "macro_f1", "per_class", "confusion", "ci", "model"}


def test_the_hand_written_bootstrap_measures_as_scikit_learn_does():
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score

    from utoday_sentiment.metrics import LABELS, resampled

    picks = np.random.default_rng(5).integers(0, 9, (50, 9))
    accuracy, macro = resampled(TRUTH, GUESS, picks)
    t, g = np.array(TRUTH), np.array(GUESS)
    for row, a, m in zip(picks, accuracy, macro, strict=True):
        assert a == pytest.approx(accuracy_score(t[row], g[row]))
        assert m == pytest.approx(f1_score(t[row], g[row], labels=LABELS, average="macro",
                                           zero_division=0))


def test_kappa_and_mcnemar_worked_out_by_hand():
    # A = GUESS, B = always right: agreement po = 6/9, chance pe = (2*3 + 4*3 + 3*3)/81 = 1/3
    result = compare(TRUTH, GUESS, TRUTH)
    assert result["kappa"] == 0.5  # (2/3 - 1/3) / (1 - 1/3)
    assert (result["only_a_right"], result["only_b_right"]) == (0, 3)
    assert result["mcnemar_p"] == 0.25  # exact: 2 * 0.5**3
    assert result["verdict"] == "no significant difference (p = 0.25)"
    many = compare(["positive"] * 12 + ["negative"] * 12, ["negative"] * 24,
                   ["positive"] * 12 + ["negative"] * 12)
    assert many["verdict"].startswith("B is better: p = ")


def test_fewer_than_two_classes_is_one_clear_line():
    with pytest.raises(ConfigError, match="at least 2 classes"):
        report(["positive"] * 3, ["positive"] * 3, model="m")


@pytest.fixture
def judged(conn, monkeypatch, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    with conn.cursor() as cur:
        for i, (truth, label) in enumerate(zip(TRUTH, GUESS, strict=True)):
            cur.execute(
                "INSERT INTO titles (url, title, published_at, sentiment, sentiment_score,"
                " sentiment_scores, sentiment_model, labelled_at) VALUES (%s, %s,"
                " now() - make_interval(days => %s), %s, 0.9, '{}', 'hf-api:m', now())",
                (f"https://u.today/e{i}", f"Headline {truth} {i}", i % 4, label),
            )
    conn.commit()
    return conn


def test_the_sample_is_blind_reproducible_and_skips_judged_titles(judged, tmp_path, capsys, query):
    out = tmp_path / "sample.csv"
    assert main(["evaluate", "sample", "--size", "6", "--out", str(out), "--seed", "7"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["id", "url", "published_at", "title", "label"]
    assert all(r["label"] == "" for r in rows) and len(rows) == 6
    text = out.read_text()
    assert "hf-api:m" not in text and "positive" not in text.split("\n", 1)[1].replace(
        "Headline positive", "")  # no model label leaks; the titles themselves may say it
    labels = {r[0] for r in query("SELECT sentiment FROM titles WHERE id IN %s",
                                  (tuple(int(r["id"]) for r in rows),))}
    assert labels == {"positive", "neutral", "negative"}  # stratified over the labels
    again = tmp_path / "again.csv"
    main(["evaluate", "sample", "--size", "6", "--out", str(again), "--seed", "7"])
    assert again.read_text() == text
    with out.open("w") as f:
        f.write("id,label\n" + "".join(f"{r['id']},neutral\n" for r in rows))
    assert main(["evaluate", "import", str(out)]) == 0
    main(["evaluate", "sample", "--size", "9", "--out", str(again)])
    assert not {r["id"] for r in csv.DictReader(again.open())} & {r["id"] for r in rows}


def test_import_is_all_or_nothing_and_says_every_problem(judged, tmp_path, capsys, query):
    ids = [r[0] for r in query("SELECT id FROM titles ORDER BY id")]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"id,title,label\n{ids[0]},a,positive\n999999,b,neutral\n{ids[1]},c,great\n"
                   f"{ids[0]},d,negative\n")
    assert main(["evaluate", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err
    assert "line 3: no stored title has id 999999" in err
    assert "line 4: label 'great' is not positive, neutral or negative" in err
    assert f"line 5: id {ids[0]} again (first on line 2)" in err
    assert query("SELECT count(*) FROM judgements") == [(0,)]
    good = tmp_path / "good.csv"
    good.write_text("id,label\n" + "".join(
        f"{i},{ {'positive': 'bullish', 'negative': 'bearish'}.get(t, t)}\n"
        for i, t in zip(ids, TRUTH, strict=True)))
    assert main(["evaluate", "import", str(good), "--judge", "ana",
                 "--label-map", "bullish=positive,bearish=negative"]) == 0
    assert query("SELECT count(*), count(DISTINCT judge) FROM judgements") == [(9, 1)]
    assert query("SELECT model, judged_titles, accuracy::float FROM model_quality") == [
        ("hf-api:m", 9, 0.6667)]
    capsys.readouterr()
    png = tmp_path / "confusion.png"
    assert main(["evaluate", "report", "--model", "hf-api:m", "--json", "--png", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = json.loads(capsys.readouterr().out)
    # JSON is for programs: every digit, not the text report's four decimals
    assert result["accuracy"] == pytest.approx(6 / 9, abs=1e-12)
    assert result["macro_f1"] == pytest.approx((0.8 + 4 / 7 + 2 / 3) / 3, abs=1e-12)
    assert main(["evaluate", "report", "--model", "hf-api:m"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("model hf-api:m, n = 9: accuracy 0.6667 (95% ")
    assert "macro-F1 0.6794 (95% " in text and "  0.5714  " in text
    assert result["confusion"]["matrix"] == [[2, 1, 0], [0, 2, 1], [0, 1, 2]]


def test_a_live_backend_report_writes_nothing(judged, tmp_path, capsys, query, hf, monkeypatch):
    ids = [r[0] for r in query("SELECT id FROM titles ORDER BY id")]
    good = tmp_path / "good.csv"
    good.write_text("id,label\n" + "".join(f"{i},{t}\n" for i, t in zip(ids, TRUTH, strict=True)))
    main(["evaluate", "import", str(good)])
    monkeypatch.setenv("HF_API_URL", hf.url)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    before = query("SELECT id, sentiment, sentiment_model, labelled_at FROM titles ORDER BY id")
    capsys.readouterr()
    assert main(["evaluate", "report", "--backend", "hf-api", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 9 and result["model"].startswith("hf-api:")
    assert len(hf.inputs()) == 9
    assert query("SELECT id, sentiment, sentiment_model, labelled_at FROM titles ORDER BY id"
                 ) == before
    assert main(["evaluate", "compare", "hf-api", "hf-api"]) == 0
    assert "no significant difference" in capsys.readouterr().out

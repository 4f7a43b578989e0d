"""SENTIMENT_BACKEND=onnx: the real loading and inference code (ONNX Runtime, tokenizers) on a
tiny classifier the test builds offline, labels stored with the model's identity."""

from __future__ import annotations

import hashlib

import pytest

from fakes.tiny_model import build
from tests.helpers import label_result, seed
from utoday_sentiment.cli import main
from utoday_sentiment.deadline import Deadline
from utoday_sentiment.errors import ConfigError
from utoday_sentiment.labelling import make_labeller
from utoday_sentiment.settings import load_settings


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return build(tmp_path_factory.mktemp("models") / "tiny-finance")


def settings_for(folder, **env):
    return load_settings({"SENTIMENT_BACKEND": "onnx", "ONNX_MODEL": str(folder),
                          "ONNX_THREADS": "1", **env})


def test_labels_titles_with_the_local_model(conn, model, query):
    titles = ["Bitcoin Price Surges to New High", "XRP Crashes as Whales Move Millions",
              "Cardano Eyes Golden Cross"]
    from utoday_sentiment.records import Title
    from utoday_sentiment.store.titles import insert_titles

    insert_titles(conn, [Title(t, f"https://u.today/o{i}") for i, t in enumerate(titles)])
    settings = settings_for(model)
    labeller = make_labeller(settings)
    result = label_result(conn, labeller, settings)
    assert result.error is None and result.summary.labelled == 3
    digest = hashlib.sha256((model / "model.onnx").read_bytes()).hexdigest()[:12]
    assert query("SELECT title, sentiment, sentiment_model FROM titles ORDER BY id") == [
        (titles[0], "positive", f"onnx:tiny-finance@{digest}"),
        (titles[1], "negative", f"onnx:tiny-finance@{digest}"),
        (titles[2], "neutral", f"onnx:tiny-finance@{digest}"),
    ]
    (scores,) = query("SELECT sentiment_scores FROM titles WHERE id = (SELECT min(id) FROM titles)")[0]
    assert abs(sum(scores.values()) - 1) < 1e-6


def test_sorted_padded_batches_give_what_each_title_gives_alone(model):
    labeller = make_labeller(settings_for(model, ONNX_BATCH_SIZE="3"))
    titles = ["Bitcoin", "Ethereum Rally Gains as Bulls Return to the Market on a New High",
              "XRP Slips", "Solana Falls", "Dogecoin Jumps " * 40, "Shiba Inu Flips Rival"]
    together = labeller.classify(titles, Deadline())
    alone = [labeller.classify([t], Deadline())[0] for t in titles]
    for a, b in zip(together, alone, strict=True):
        assert a.sentiment == b.sentiment and abs(a.score - b.score) < 1e-5
    assert labeller.requests_sent == 2 + 6  # two runs of three, then six alone


def test_the_cli_labels_with_onnx_and_no_token(model, db_url, monkeypatch, capsys, conn):
    seed(conn, 4, title="Bitcoin Climbs")
    for name, value in {"DATABASE_URL": db_url, "SENTIMENT_BACKEND": "onnx",
                        "ONNX_MODEL": str(model)}.items():
        monkeypatch.setenv(name, value)
    assert main(["label"]) == 0
    assert "label: 4 labelled, 0 failed, 0 remaining, 1 request" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "env", "words"),
    [
        (None, {"ONNX_MODEL": "/nowhere/at/all"}, "ONNX_MODEL=/nowhere/at/all is not a folder"),
        ("no-logits", {}, "a classifier takes input_ids and attention_mask and gives logits"),
        ("odd-labels", {}, "config.json's labels ['LABEL_0', 'LABEL_1', 'LABEL_2'] do not map"),
        ("empty", {}, "has no model.onnx"),
    ],
)
def test_a_model_that_cannot_be_used_is_one_line_exit_2(tmp_path, monkeypatch, capsys, db_url,
                                                         make, env, words):
    folder = tmp_path / "model"
    if make == "no-logits":
        build(folder, logits_name="scores")
    elif make == "odd-labels":
        build(folder, id2label={"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"})
    elif make == "empty":
        folder.mkdir()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SENTIMENT_BACKEND", "onnx")
    monkeypatch.setenv("ONNX_MODEL", env.get("ONNX_MODEL", str(folder)))
    assert main(["label"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no "0 labelled, 0 requests" summary: nothing was tried
    assert len(err.splitlines()) == 1 and err.startswith("utoday-sentiment: error: ")
    assert words in err


def test_a_label_map_makes_other_label_names_usable(tmp_path, conn, query):
    folder = build(tmp_path / "generic", id2label={"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"})
    settings = settings_for(folder, HF_LABEL_MAP="LABEL_0=negative,LABEL_1=neutral,LABEL_2=positive")
    seed(conn, 2, title="XRP Plunges")
    result = label_result(conn, make_labeller(settings), settings)
    assert result.summary.labelled == 2
    assert query("SELECT DISTINCT sentiment FROM titles") == [("negative",)]


def test_a_missing_onnx_model_setting_is_one_line():
    with pytest.raises(ConfigError, match="SENTIMENT_BACKEND=onnx needs ONNX_MODEL"):
        make_labeller(load_settings({"SENTIMENT_BACKEND": "onnx"}))


def test_model_quantize_keeps_the_labels_and_changes_the_identity(tmp_path, capsys):
    import shutil

    folder = tmp_path / "q"
    shutil.copytree(build(tmp_path / "built"), folder)
    before = make_labeller(settings_for(folder)).classify(
        ["XRP Crashes", "Bitcoin Surges", "Cardano Eyes Golden Cross"], Deadline())
    assert main(["model", "quantize", str(folder)]) == 0
    assert "holds model.onnx" in capsys.readouterr().out
    assert (folder / "model.fp32.onnx").is_file()
    after_labeller = make_labeller(settings_for(folder))
    after = after_labeller.classify(
        ["XRP Crashes", "Bitcoin Surges", "Cardano Eyes Golden Cross"], Deadline())
    assert [p.sentiment for p in after] == [p.sentiment for p in before]
    assert after_labeller.model != make_labeller(settings_for(tmp_path / "built")).model


def test_model_export_without_optimum_says_how_to_install(tmp_path, capsys, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_optimum(name, *args, **kwargs):
        if name.startswith("optimum"):
            raise ImportError(name=name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_optimum)
    assert main(["model", "export", "org/model", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert 'model export needs optimum, which brings torch: pip install -e ".[export]"' in err


def test_no_time_left_stops_before_running_the_model(model):
    from utoday_sentiment.labelling import OutOfTime

    labeller = make_labeller(settings_for(model))
    with pytest.raises(OutOfTime, match="no time left to run the model"):
        labeller.classify(["Bitcoin Surges"], Deadline(0))
    assert labeller.requests_sent == 0


def test_the_identity_is_known_without_loading_the_model(model):
    from utoday_sentiment.jobs import model_identity

    settings = settings_for(model)
    assert model_identity(settings) == make_labeller(settings).model

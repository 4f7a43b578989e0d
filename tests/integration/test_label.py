"""label() and the `label` command on a real PostgreSQL, against a fake Inference API."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from fakes import Reply, fake_scores
from tests.helpers import TOKEN, label, label_result
from utoday_sentiment import clock
from utoday_sentiment.cli import main
from utoday_sentiment.deadline import Deadline
from utoday_sentiment.errors import UtodayError
from utoday_sentiment.labelling import ServiceFault
from utoday_sentiment.labelling.hf_api import HFClient, ModelNotServed
from utoday_sentiment.records import Title
from utoday_sentiment.settings import load_settings
from utoday_sentiment.store.connection import connect
from utoday_sentiment.store.titles import insert_titles

NEWEST = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def seed(conn, n: int, *, start: int = 0) -> list[str]:
    """n titles, title i published i hours before NEWEST; returns the titles newest first."""
    words = (
        "Bitcoin Price Slips 7%",
        "XRP Flips Rival as Bulls Climb",
        "Cardano Team Publishes Report",
    )
    titles = [
        Title(
            title=f"{words[i % 3]} #{i}",
            url=f"https://u.today/story-{i}",
            published_at=NEWEST - timedelta(hours=i),
        )
        for i in range(start, start + n)
    ]
    insert_titles(conn, titles)
    return [t.title for t in titles]


def settings_for(hf, **env):
    return load_settings({"HF_API_TOKEN": TOKEN, "HF_API_URL": hf.url, **env})


def run_labeller(conn, hf, *, result=False, **kwargs):
    """The label job with a fake-API client: its summary (error raised), or with `result` the
    whole JobResult (summary and error)."""
    env = kwargs.pop("env", {})
    settings = settings_for(hf, **env)
    client = HFClient(settings, sleep=lambda s: None)
    try:
        if result:
            return label_result(conn, client, settings, **kwargs)
        return label(conn, client, settings, **kwargs)
    finally:
        client.close()


def test_every_title_is_labelled_with_its_scores(conn, hf, query):
    titles = seed(conn, 70)
    summary = run_labeller(conn, hf, batch_size=32)
    assert (summary.labelled, summary.failed, summary.remaining) == (70, 0, 0)
    assert summary.requests == 3  # ceil(70 / 32)
    assert [len(b) for b in hf.batches] == [32, 32, 6]
    assert hf.batches[0] == titles[:32]  # newest first
    rows = query(
        "SELECT title, sentiment, sentiment_score, sentiment_scores, sentiment_model, labelled_at "
        "FROM titles ORDER BY published_at DESC"
    )
    for title, sentiment, score, scores, model, labelled_at in rows:
        expected = fake_scores(title)
        assert sentiment == expected[0]["label"]
        assert score == pytest.approx(expected[0]["score"])
        assert scores == {e["label"]: pytest.approx(e["score"]) for e in expected}
        assert model == "hf-api:" + load_settings({}).hf_model
        assert labelled_at is not None
    assert {r[1] for r in rows} == {"positive", "negative", "neutral"}


def test_limit_takes_the_newest(conn, hf, query):
    titles = seed(conn, 10)
    summary = run_labeller(conn, hf, limit=4, batch_size=3)
    assert (summary.labelled, summary.remaining) == (4, 6)
    assert hf.inputs() == titles[:4]
    assert summary.stopped == "limit of 4 reached"


def test_a_refused_title_is_isolated_recorded_and_retired_after_three_runs(conn, hf, query):
    seed(conn, 8)
    insert_titles(
        conn, [Title("Poison headline", "https://u.today/poison", NEWEST - timedelta(minutes=30))]
    )
    hf.reject = "Poison"
    summary = run_labeller(conn, hf, batch_size=9)
    assert (summary.labelled, summary.failed) == (8, 1)
    assert summary.remaining == 1
    # 9 -> 4+5 -> ... the bad title is found by halving; every good title labelled exactly once
    labelled_inputs = [t for b in hf.batches if not any("Poison" in x for x in b) for t in b]
    assert sorted(labelled_inputs) == sorted(
        r[0] for r in query("SELECT title FROM titles WHERE sentiment IS NOT NULL")
    )
    assert query(
        "SELECT sentiment, label_attempts, label_error FROM titles WHERE url = 'https://u.today/poison'"
    ) == [(None, 1, "Hugging Face refused the input (400): backend failed on an input")]
    run_labeller(conn, hf)
    run_labeller(conn, hf)
    assert query("SELECT label_attempts FROM titles WHERE url = 'https://u.today/poison'") == [(3,)]
    hf.batches.clear()
    summary = run_labeller(conn, hf)
    assert hf.batches == []  # retired: never sent again
    assert (summary.labelled, summary.failed, summary.remaining) == (0, 0, 0)


@pytest.mark.parametrize("status", [401, 402, 403, 404, 410])
def test_fail_fast_changes_no_row(conn, hf, query, status, caplog):
    seed(conn, 5)
    hf.script.append(
        Reply("Not Found" if status == 404 else '{"error": "no"}', status, "application/json")
    )
    with caplog.at_level(logging.DEBUG):
        result = run_labeller(conn, hf, result=True)
    assert isinstance(result.error, UtodayError)
    assert f"Hugging Face answered {status}" in str(result.error)
    assert result.summary.labelled == 0 and result.summary.remaining == 5
    assert query(
        "SELECT count(*) FROM titles WHERE sentiment IS NOT NULL OR label_attempts > 0"
    ) == [(0,)]
    assert TOKEN not in str(result.error) and TOKEN not in caplog.text


def test_batches_answered_before_a_fatal_error_are_kept(conn, hf, query):
    seed(conn, 6)
    hf.script += [
        Reply(json.dumps([fake_scores("a")] * 3), 200, "application/json"),
        Reply('{"error": "credits"}', 402, "application/json"),
    ]
    with pytest.raises(UtodayError, match="402"):
        run_labeller(conn, hf, batch_size=3)
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(3,)]


def test_deadline_mid_run_stores_answered_batches_and_leaves_the_rest(conn, query):
    seed(conn, 50)
    now = [0.0]
    settings = load_settings({"HF_API_TOKEN": TOKEN})

    def answer(request):
        # each request "takes" 4 s of a 10 s budget; a shorter timeout cuts it off, as on a socket
        timeout = request.req_kwargs["timeout"][1]
        if timeout < 4.0:
            now[0] += timeout
            raise requests.exceptions.ReadTimeout("read timed out")
        now[0] += 4.0
        inputs = json.loads(request.body)["inputs"]
        return 200, {}, json.dumps([fake_scores(t) for t in inputs])

    with responses.RequestsMock() as api:
        api.add_callback(responses.POST, settings.hf_url, callback=answer)
        client = HFClient(settings, sleep=lambda s: None)
        summary = label(
            conn, client, settings, batch_size=10, deadline=Deadline(10, clock=lambda: now[0])
        )
    assert summary.labelled == 20 and summary.remaining == 30
    assert summary.stopped.startswith("out of time")
    assert summary.requests == 3  # the third was cut off at the deadline
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(20,)]


def test_503_until_the_deadline_leaves_titles_unlabelled(conn, query):
    seed(conn, 5)
    now = [0.0]
    settings = load_settings({"HF_API_TOKEN": TOKEN, "HF_MAX_RETRIES": "50"})
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=False
    ) as api:
        for _ in range(50):
            api.post(settings.hf_url, status=503, json={"error": "loading", "estimated_time": 3.0})

        def sleep(seconds):
            now[0] += seconds

        client = HFClient(settings, sleep=sleep)
        summary = label(conn, client, settings, deadline=Deadline(20, clock=lambda: now[0]))
        sent = len(api.calls)
    assert summary.labelled == 0 and summary.remaining == 5
    assert summary.stopped.startswith("out of time")
    assert 5 <= sent <= 7 and summary.retries == sent - 1
    assert query(
        "SELECT count(*) FROM titles WHERE sentiment IS NOT NULL OR label_attempts > 0"
    ) == [(0,)]


def test_two_labellers_at_once_label_each_title_exactly_once(db_url, conn, hf, query):
    seed(conn, 300)
    hf.latency = 0.01
    summaries, errors = [], []
    barrier = threading.Barrier(2)

    def labeller():
        c = connect(db_url)
        try:
            barrier.wait()
            summaries.append(run_labeller(c, hf, batch_size=16))
        except Exception as exc:
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=labeller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sent = hf.inputs()
    assert len(sent) == 300 and len(set(sent)) == 300  # each title sent exactly once
    assert sum(s.labelled for s in summaries) == 300
    assert all(s.labelled > 0 for s in summaries)  # both did real work
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NULL") == [(0,)]


def test_relabel_after_a_model_switch(conn, hf, query):
    seed(conn, 7)
    run_labeller(conn, hf)
    hf.batches.clear()
    other = {"HF_MODEL": "ProsusAI/finbert"}
    assert run_labeller(conn, hf, env=other).labelled == 0  # plain label: nothing is unlabelled
    summary = run_labeller(conn, hf, env=other, relabel=True, batch_size=5)
    assert (summary.labelled, summary.remaining) == (7, 0)
    assert query("SELECT DISTINCT sentiment_model FROM titles") == [("hf-api:ProsusAI/finbert",)]
    assert len(hf.inputs()) == 7


def test_memory_holds_one_batch(conn, hf):
    """The labeller claims LIMIT batch rows at a time: the API never sees more than a batch."""
    seed(conn, 120)
    run_labeller(conn, hf, batch_size=8)
    assert max(len(b) for b in hf.batches) == 8 and len(hf.batches) == 15


# ---------------------------------------------------------------------------------------------
# CLI


@pytest.fixture
def cli_env(monkeypatch, db_url, hf):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("HF_API_URL", hf.url)


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_label_command_end_to_end(cli_env, monkeypatch, conn, hf, capsys):
    seed(conn, 40)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    code, out, err = cli(capsys, "label", "--batch-size", "16", "--limit", "35")
    assert code == 0, err
    assert (
        out.strip()
        == "label: 35 labelled, 0 failed, 5 remaining, 3 requests, 0 retries; limit of 35 reached"
    )
    code, out, _ = cli(capsys, "status", "--json")
    status = json.loads(out)
    assert (status["labelled"], status["unlabelled"], status["failed"]) == (35, 5, 0)
    assert status["positive_share"] + status["neutral_share"] + status[
        "negative_share"
    ] == pytest.approx(1, abs=1e-3)
    assert TOKEN not in out + err


def test_titles_another_labeller_holds_are_explained_with_their_lease_end(
    cli_env, monkeypatch, conn, hf, capsys, query
):
    """A labeller killed mid-batch leaves its lease: the next run leaves those titles alone
    and says how many, and until when (UTC); status counts them too."""
    seed(conn, 14)
    with conn.cursor() as cur:  # as a dead labeller leaves them: four leases, ending apart
        cur.execute("UPDATE titles SET claim_token = gen_random_uuid(), claimed_until = now()"
                    " + make_interval(mins => 10 + id::int % 4) WHERE id IN"
                    " (SELECT id FROM titles ORDER BY id LIMIT 4)")
    conn.commit()
    ((until,),) = query("SELECT min(claimed_until) FROM titles")
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    code, out, err = cli(capsys, "label")
    assert code == 0, err
    shown = clock.utc_time(until)
    assert out.strip() == (f"label: 10 labelled, 0 failed, 4 remaining (4 held by another "
                           f"labeller until {shown}), 1 request, 0 retries")
    assert shown.endswith(" UTC") and f"{until.astimezone(UTC):%H:%M}" in shown
    code, out, _ = cli(capsys, "status", "--json")
    status = json.loads(out)
    assert (status["unlabelled"], status["held_by_a_labeller"]) == (4, 4)
    assert datetime.fromisoformat(status["held_until"]) == until
    code, out, _ = cli(capsys, "status")
    assert "held by a labeller:" in out and out.split("held by a labeller:")[1].split()[0] == "4"


def test_label_without_a_token_says_how_many_wait_and_what_to_do(cli_env, conn, hf, capsys):
    seed(conn, 3)
    code, _, err = cli(capsys, "label")
    assert code == 2
    assert err.strip().endswith(
        "3 titles await labels; set HF_API_TOKEN (a Hugging Face token with the Inference "
        "Providers permission) in the environment or .env, then run `utoday-sentiment label`"
    )
    assert hf.batches == []


@pytest.mark.parametrize(
    ("titles", "words"), [(0, "no title awaits a label;"), (1, "1 title awaits a label;")]
)
def test_the_waiting_count_reads_right_for_none_and_one(cli_env, conn, capsys, titles, words):
    seed(conn, titles)
    code, _, err = cli(capsys, "label")
    assert code == 2 and words in err


def test_label_failure_prints_the_partial_summary_then_one_error_line(
    cli_env, monkeypatch, conn, hf, capsys
):
    seed(conn, 4)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    hf.script.append(Reply('{"error": "Invalid credentials"}', 401, "application/json"))
    code, out, err = cli(capsys, "label")
    assert code == 1
    assert (
        out.strip()
        == "label: 0 labelled, 0 failed, 4 remaining, 1 request, 0 retries; stopped by the error below"
    )
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith("utoday-sentiment: error: Hugging Face answered 401:")
    )
    assert TOKEN not in out + err


def test_run_scrapes_then_labels(cli_env, monkeypatch, site, hf, capsys, query):
    from fakes import articles

    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    site.serve_listing([articles(0, 30), articles(30, 5)])
    code, out, err = cli(capsys, "run")
    assert code == 0, err
    assert (
        out.splitlines()[-1] == "label: 35 labelled, 0 failed, 0 remaining, 2 requests, 0 retries"
    )
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(35,)]


def test_run_labels_the_backlog_even_when_the_site_is_down(cli_env, monkeypatch, conn, hf, capsys):
    seed(conn, 3)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    monkeypatch.setenv("UTODAY_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("UTODAY_HTTP_RETRIES", "0")
    code, out, err = cli(capsys, "run")
    assert code == 1
    assert "cannot reach" in err
    assert out.splitlines()[-1].startswith("label: 3 labelled")


def test_run_max_seconds_bounds_the_scrape_and_the_labelling_together(
    cli_env, monkeypatch, site, hf, capsys
):
    from fakes import Reply, articles, listing_page

    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    site.serve_listing([articles(0, 30)])
    site.serve("/latest-cryptocurrency-news", Reply(listing_page(articles(0, 30)), delay=3.0))
    hf.latency = 0.5
    code, out, err = cli(capsys, "run", "--max-seconds", "5", "--batch-size", "10")
    assert code == 0, err
    scrape_line, label_line = out.splitlines()[-2:]
    assert "scrape (daily): 1 page fetched" in scrape_line and "out of time" in scrape_line
    # about 2 s were left for labelling: a budget of its own would have labelled all 30
    labelled = int(label_line.split()[1])
    assert 0 < labelled < 30 and "out of time" in label_line


def test_a_service_fault_stops_the_run_without_retiring_a_title(conn, hf, query):
    """The hf-inference backend answers any internal failure with 400: when the whole batch,
    both halves and an ordinary control headline are refused, no title is at fault."""
    seed(conn, 32)
    hf.reject = " "  # every input holds a space: every input is refused
    result = run_labeller(conn, hf, result=True, batch_size=32)
    assert isinstance(result.error, ServiceFault)
    assert "a batch of 32 titles, both its halves and an ordinary control headline" in str(
        result.error
    )
    assert [len(b) for b in hf.batches] == [32, 16, 16, 1]  # four requests, not 63
    assert query("SELECT count(*) FROM titles WHERE label_attempts > 0 OR sentiment IS NOT NULL"
                 ) == [(0,)]
    assert query("SELECT count(*) FROM titles WHERE claim_token IS NOT NULL") == [(0,)]
    assert result.summary.remaining == 32


def test_a_lone_refused_title_is_retired_only_when_the_control_answers(conn, hf, query):
    insert_titles(conn, [Title("Poison headline", "https://u.today/poison", NEWEST)])
    hf.reject = "Poison"
    summary = run_labeller(conn, hf)
    assert (summary.labelled, summary.failed) == (0, 1)
    assert [len(b) for b in hf.batches] == [1, 1]  # the title, then the control
    hf.batches.clear()
    hf.reject = " "  # now the service refuses everything
    with conn.cursor() as cur:
        cur.execute("UPDATE titles SET label_attempts = 0")
    conn.commit()
    result = run_labeller(conn, hf, result=True)
    assert isinstance(result.error, ServiceFault) and "a lone title" in str(result.error)
    assert query("SELECT label_attempts FROM titles") == [(0,)]


def test_a_model_the_router_does_not_serve_stops_the_run(conn, hf, query):
    seed(conn, 5)
    hf.script.append(Reply('{"error": "Model not supported by provider hf-inference"}', 400,
                           "application/json"))
    result = run_labeller(conn, hf, result=True)
    assert isinstance(result.error, ModelNotServed)
    message = str(result.error)
    assert "does not serve the model" in message and "HF_MODEL" in message
    assert "inference_provider=hf-inference" in message
    assert len(hf.batches) == 1  # no bisection
    assert query("SELECT count(*) FROM titles WHERE label_attempts > 0") == [(0,)]

"""The benchmark in its smallest mode: the output's shape, and the counts batching promises."""

from __future__ import annotations

import json
import math

from bench.run import main


def test_bench_smallest_mode(pg_server_url, tmp_path, capsys):
    output = tmp_path / "results.json"
    code = main(
        [
            "--quick",
            "--titles",
            "40",
            "--batch-size",
            "16",
            "--pages",
            "3",
            "--store",
            "60",
            "--memory-sizes",
            "40,80",
            "--import-runs",
            "1",
            "--latency-ms",
            "1",
            "--per-input-ms",
            "0",
            "--database-url",
            pg_server_url,
            "--output",
            str(output),
        ]
    )
    assert code == 0
    results = json.loads(output.read_text())
    assert set(results) >= {
        "machine",
        "options",
        "labelling",
        "parsing",
        "storing",
        "cold_import",
        "memory",
        "targets",
    }

    labelling = results["labelling"]
    assert labelling["project"]["labelled"] == labelling["baseline"]["labelled"] == 40
    assert labelling["project"]["requests"] == math.ceil(40 / 16) == 3  # one request per batch
    assert labelling["baseline"]["requests"] == 40  # one per title
    # per batch: the lease (BEGIN, claim, COMMIT) and the results (BEGIN, UPDATE, COMMIT); then
    # an empty claim (BEGIN, claim, COMMIT) and the backlog count (BEGIN, SELECT, ROLLBACK)
    assert labelling["project"]["round_trips"] == 3 * 6 + 3 + 3
    assert labelling["baseline"]["round_trips"] == 1 + 3 * 40

    storing = results["storing"]
    assert storing["project"]["new"] == 60
    # two pages of 30: BEGIN, INSERT, the coin tags, the topic tags, COMMIT
    assert storing["project"]["round_trips"] == 2 * 5
    assert storing["baseline"]["round_trips"] == 60 * 3

    assert results["parsing"]["pages"] == 3 and results["parsing"]["project_pages_per_second"] > 0
    assert results["memory"]["sizes"] == [40, 80] and len(results["memory"]["rss_peak_bytes"]) == 2
    assert all(
        results["cold_import"][f"{k}{where}_ms"] > 0
        for k in ("boto3", "scrape_handler", "label_handler")
        for where in ("", "_lambda")
    )
    names = [t["name"] for t in results["targets"]]
    assert "label handler import, as in Lambda" in names
    assert [t["name"] for t in results["targets"]][:3] == [
        "labelling speed",
        "labelling requests",
        "labelling vs lower bound",
    ]

    table = capsys.readouterr().out
    assert (
        "| label 40 titles: wall time |" in table
        and "| target | wanted | measured | met |" in table
    )


def test_web_bench_smallest_mode(pg_server_url, tmp_path, capsys):
    from bench import web

    output = tmp_path / "web.json"
    assert web.main(["--sizes", "300,600", "--runs", "3", "--database-url", pg_server_url,
                     "--output", str(output)]) == 0
    results = json.loads(output.read_text())
    assert results["sizes"] == [300, 600]
    for size in ("300", "600"):
        assert set(results["results"][size]) == {*web.ENDPOINTS, web.NAIVE}
        for figures in results["results"][size].values():
            assert 0 < figures["p50_ms"] <= figures["p95_ms"]
    table = capsys.readouterr().out
    assert "p95 ratio" in table and "/api/v1/coins?days=30" in table

"""Label every title of a schema in a fresh interpreter and print its peak memory as JSON.

Run by the bench in a subprocess per size and mode, so each measurement starts from the same
state: a warm-up run over WARMUP titles first (imports, the connection, CPython's allocator pools
and free lists), then the measured run over the rest.

    python -m bench.memory_probe URL HF_URL WARMUP rss    # the process's peak resident memory
    python -m bench.memory_probe URL HF_URL WARMUP heap   # Python heap growth during the run
"""

from __future__ import annotations

import json
import resource
import sys
import tracemalloc


def main() -> None:
    url, hf_url, warmup, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    from utoday_sentiment.jobs import run_label
    from utoday_sentiment.labelling.hf_api import HFClient
    from utoday_sentiment.records import LabelRequest
    from utoday_sentiment.settings import load_settings
    from utoday_sentiment.store.connection import connect

    settings = load_settings({"HF_API_TOKEN": "hf_bench", "HF_API_URL": hf_url})
    conn = connect(url)
    client = HFClient(settings)
    run_label(LabelRequest(limit=warmup), settings, conn, labeller=client)
    if mode == "heap":
        tracemalloc.start()
    summary = run_label(LabelRequest(), settings, conn, labeller=client).summary
    result = {"labelled": summary.labelled}
    if mode == "heap":
        result["heap_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:  # Linux reports KiB
        result["rss_peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()

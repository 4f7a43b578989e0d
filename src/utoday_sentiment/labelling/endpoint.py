"""A dedicated Hugging Face Inference Endpoint (SENTIMENT_BACKEND=endpoint, HF_API_URL = its URL).

Two answering engines are met behind such URLs:
- the Inference Toolkit: the router's body (`{"inputs": [...], "parameters": {"top_k": 3}}`),
  one result list per input;
- Text Embeddings Inference's `/predict`: a batch is `{"inputs": [["t1"], ["t2"]]}` (a flat list of
  two strings would be read as one sentence *pair*), one ranking per input.
HF_ENDPOINT_ENGINE picks one, or `auto` tells them apart by themselves: a URL ending in /predict
is TEI; a refusal of the toolkit's flat list (or one answer for a batch of two) switches to TEI.
While the endpoint scales up from zero it answers 503: every request asks it to hold on with
`X-Scale-Up-Timeout` (bounded by the run's time left), and a run whose deadline comes first says
"endpoint is scaling up".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..settings import Settings
from .hf_api import HFClient
from .interpret import truncate

# TEI's words when it refuses a flat list or reads it as a pair.
_SHAPE = re.compile(r"pair|input validation|inputs? (?:must|should)|expected .*list|batch",
                    re.IGNORECASE)


# A 200 that does not fit the batch: TEI read a flat list of two as one pair.
_OTHER_SHAPE = re.compile(r"results for \d+ titles|not a list of labels")


class EndpointClient(HFClient):
    url_setting = "the endpoint's model (redeploy it)"
    identity = "endpoint"
    needs_token = False  # a public endpoint takes none; a protected one gets HF_API_TOKEN

    def __init__(self, settings: Settings, **kwargs: object) -> None:
        if not settings.hf_api_url:
            raise ConfigError(
                "SENTIMENT_BACKEND=endpoint needs HF_API_URL: the dedicated endpoint's URL "
                "(https://<id>.<region>.endpoints.huggingface.cloud), /predict for TEI"
            )
        super().__init__(settings, **kwargs)  # type: ignore[arg-type]
        engine = settings.hf_endpoint_engine
        self.auto = engine == "auto"
        if self.auto:
            engine = "tei" if urlsplit(settings.hf_api_url).path.rstrip("/").endswith(
                "/predict") else "toolkit"
        self.engine = engine

    def _body(self, texts: Sequence[str]) -> bytes:
        if self.engine == "tei":
            return json.dumps(
                {"inputs": [[truncate(t)] for t in texts], "truncate": True}, ensure_ascii=False
            ).encode("utf-8")
        return super()._body(texts)

    def _headers(self, timeout: float) -> dict[str, str]:
        headers = super()._headers(timeout)
        headers.pop("x-wait-for-model", None)  # the router's header; endpoints have their own
        # Hold the request while a replica starts, but never past this request's own timeout.
        headers["X-Scale-Up-Timeout"] = str(max(1, int(timeout) - 1))
        return headers

    def _unavailable(self, error: str) -> str:
        return f"endpoint is scaling up (503: {error})"

    def _refused_shape(self, status: int, error: str) -> bool:
        answered_otherwise = status == 200 and _OTHER_SHAPE.search(error)
        if self.auto and self.engine == "toolkit" and (
            answered_otherwise or (status in (400, 413, 422) and _SHAPE.search(error))
        ):
            self.engine = "tei"  # for the rest of the run
            return True
        return False

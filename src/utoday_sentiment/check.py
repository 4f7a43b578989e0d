"""`utoday-sentiment check`: before trusting a deployment or a laptop setup, one line per check.

The database is reachable and its schema current; the site answers and page 0 parses to cards;
the labelling backend is reachable: for hf-api the Hub says the model is served by hf-inference
(looked up at HF_ENDPOINT, as huggingface_hub does) and the token is set; and one known headline
is classified. Nothing is written anywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .deadline import Deadline
from .errors import UtodayError
from .settings import Settings

KNOWN_HEADLINE = "Bitcoin Price Surges to a New All-Time High as Bulls Return"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def _guard(name: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, True, probe())
    except UtodayError as exc:
        return Check(name, False, str(exc))


def check_database(settings: Settings, connect: Callable[[], Any]) -> Check:
    def probe() -> str:
        from .store.migrate import load_migrations, require_current

        conn = connect()
        try:
            require_current(conn)
        finally:
            conn.close()
        return f"reachable, schema current ({len(load_migrations())} migrations)"

    return _guard("database", probe)


def check_site(settings: Settings) -> Check:
    def probe() -> str:
        from .sources.utoday import SiteClient, page_url
        from .sources.utoday.read import parse_body

        quick = dataclasses.replace(settings, http_retries=0)
        client = SiteClient(quick)
        try:
            url = page_url(quick, 0)
            page = parse_body(quick, url, "listing", client.fetch(url, kind="html"))
        finally:
            client.close()
        if not page.titles:
            raise UtodayError(f"{url} answered, but shows no headline cards ({page.cards} card "
                              "elements): the layout may have changed")
        return f"{url}: {len(page.titles)} headlines on page 0"

    return _guard("site", probe)


def check_model_served(settings: Settings) -> Check:
    def probe() -> str:
        import requests

        url = f"{settings.hf_endpoint}/api/models/{settings.hf_model}"
        try:
            answer = requests.get(url, params={"expand[]": "inferenceProviderMapping"},
                                  timeout=settings.hf_timeout)
        except requests.RequestException as exc:
            raise UtodayError(f"cannot reach {settings.hf_endpoint} ({type(exc).__name__}); "
                              "check the network or HF_ENDPOINT") from exc
        if answer.status_code == 404:
            raise UtodayError(f"the Hub has no model {settings.hf_model}; check HF_MODEL")
        if answer.status_code != 200:
            raise UtodayError(f"the Hub answered {answer.status_code} for {settings.hf_model}")
        try:
            mapping = answer.json().get("inferenceProviderMapping") or {}
        except ValueError as exc:
            raise UtodayError(f"the Hub's answer for {settings.hf_model} is not JSON") from exc
        providers = ({m.get("provider") for m in mapping if isinstance(m, dict)}
                     if isinstance(mapping, list) else set(mapping))
        if "hf-inference" not in providers:
            from .labelling.hf_api import SERVED_MODELS

            raise UtodayError(
                f"{settings.hf_model} is not served by hf-inference (providers: "
                f"{', '.join(sorted(p for p in providers if p)) or 'none'}); pick a served model "
                f"({SERVED_MODELS}) or another SENTIMENT_BACKEND"
            )
        return f"{settings.hf_model} is served by hf-inference"

    return _guard("model", probe)


def check_labelling(settings: Settings) -> Check:
    def probe() -> str:
        from .labelling import InputRefused, OutOfTime, make_labeller

        labeller = make_labeller(settings)
        try:
            (prediction,) = labeller.classify([KNOWN_HEADLINE], Deadline(settings.hf_timeout))
        except (InputRefused, OutOfTime) as exc:
            raise UtodayError(f"a known headline was not classified ({exc})") from exc
        finally:
            labeller.close()
        return (f"{settings.sentiment_backend}: a known headline is {prediction.sentiment} "
                f"({prediction.score:.2f}) with {labeller.model}")

    return _guard("labelling", probe)


def run_checks(settings: Settings, connect: Callable[[], Any]) -> list[Check]:
    checks = [check_database(settings, connect), check_site(settings)]
    if settings.sentiment_backend == "hf-api":
        checks.append(check_model_served(settings))
        if not settings.hf_api_token:
            checks.append(Check("token", False, "HF_API_TOKEN is not set: labelling needs a "
                                "fine-grained token with the Inference Providers permission"))
            return checks
    checks.append(check_labelling(settings))
    return checks

"""Does the mood move with the price, lead it, or follow it? (pure; the `market` extra:
statsmodels and scipy do the statistics.)

Returns, never price levels: a trending mood and a trending price correlate in levels whatever
their relation. Each series is tested for stationarity (ADF); a mood that is not stationary is
used as its daily change. Days are never filled: a day without enough titles or without a
return is left out, and a lag looks up the calendar day it names (a missing day drops the row).
p-values of the lead-lag table and of the Granger tests are corrected for the number of tests in
each (Holm). The out-of-sample test predicts tomorrow's direction on an expanding window and is
held against the majority class and against yesterday's return alone.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

LAGS = range(-3, 4)
MAX_GRANGER_LAG = 7
MIN_DAYS = 30  # below this the tests mean little: the report says so
ALPHA = 0.05
MIN_TRAIN = 20  # days before the first out-of-sample prediction


@dataclass(frozen=True)
class MarketDay:
    day: date
    log_return: float | None
    mood: float | None  # the coin's net score that day
    titles: int
    fear_greed: int | None
    close: float | None = None  # for the chart; the statistics use the return


def _lookup(values: dict[date, float], day: date, lag: int) -> float | None:
    return values.get(day - timedelta(days=lag))


def _pairs(x: dict[date, float], y: dict[date, float], lag: int) -> tuple[list[float], list[float]]:
    """x on day t - lag against y on day t (lag > 0: x leads y by `lag` days)."""
    xs, ys = [], []
    for day, value in sorted(y.items()):
        other = _lookup(x, day, lag)
        if other is not None:
            xs.append(other)
            ys.append(value)
    return xs, ys


def adf(values: Sequence[float]) -> dict[str, Any]:
    from statsmodels.tsa.stattools import adfuller

    if len(values) < 10 or len(set(values)) < 3:
        return {"p": None, "stationary": None}
    with warnings.catch_warnings():  # the result's shape is changing across releases
        warnings.simplefilter("ignore", FutureWarning)
        statistic, p, *_ = adfuller(list(values), autolag="AIC")
    return {"statistic": float(statistic), "p": float(p), "stationary": bool(p < ALPHA)}


def _changes(values: dict[date, float]) -> dict[date, float]:
    return {d: v - values[d - timedelta(days=1)] for d, v in values.items()
            if d - timedelta(days=1) in values}


def block_bootstrap_spearman(x: Sequence[float], y: Sequence[float], *, seed: int = 0,
                             resamples: int = 1000) -> list[float] | None:
    """A 95% interval for Spearman's rho by the moving-block bootstrap (blocks of about n^(1/3)
    days keep the series' own autocorrelation)."""
    import numpy as np
    from scipy.stats import spearmanr

    n = len(x)
    if n < 10:
        return None
    block = max(2, round(n ** (1 / 3)))
    rng = np.random.default_rng(seed)
    xa, ya = np.asarray(x), np.asarray(y)
    rhos = []
    for _ in range(resamples):
        starts = rng.integers(0, n - block + 1, math.ceil(n / block))
        index = np.concatenate([np.arange(s, s + block) for s in starts])[:n]
        rho = spearmanr(xa[index], ya[index]).statistic
        if not math.isnan(rho):
            rhos.append(rho)
    return [float(np.percentile(rhos, 2.5)), float(np.percentile(rhos, 97.5))] if rhos else None


def same_day(x: dict[date, float], y: dict[date, float], seed: int) -> dict[str, Any]:
    from scipy.stats import pearsonr, spearmanr

    xs, ys = _pairs(x, y, 0)
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return {"n": len(xs), "pearson_r": None}
    test = pearsonr(xs, ys)
    interval = test.confidence_interval(0.95)
    return {"n": len(xs), "pearson_r": float(test.statistic), "pearson_p": float(test.pvalue),
            "pearson_ci": [float(interval.low), float(interval.high)],
            "spearman_rho": float(spearmanr(xs, ys).statistic),
            "spearman_ci": block_bootstrap_spearman(xs, ys, seed=seed)}


def lead_lag(x: dict[date, float], y: dict[date, float]) -> list[dict[str, Any]]:
    """Pearson r of x on day t - k against y on day t, k = -3..3 (k > 0: x leads), Holm."""
    from scipy.stats import pearsonr
    from statsmodels.stats.multitest import multipletests

    rows: list[dict[str, Any]] = []
    for lag in LAGS:
        xs, ys = _pairs(x, y, lag)
        if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
            rows.append({"lag": lag, "n": len(xs), "r": None, "p": None})
            continue
        test = pearsonr(xs, ys)
        rows.append({"lag": lag, "n": len(xs), "r": float(test.statistic),
                     "p": float(test.pvalue)})
    tested = [r for r in rows if r["p"] is not None]
    if tested:
        reject, corrected, *_ = multipletests([r["p"] for r in tested], alpha=ALPHA, method="holm")
        for row, p, significant in zip(tested, corrected, reject, strict=True):
            row["p_holm"], row["significant"] = float(p), bool(significant)
    return rows


def _consecutive(x: dict[date, float], y: dict[date, float]) -> list[tuple[float, float]]:
    """The longest run of consecutive days where both series have a value (Granger's lags
    count observations: a gap would pair days that are not neighbours)."""
    days = sorted(set(x) & set(y))
    best: list[date] = []
    run: list[date] = []
    for day in days:
        run = [*run, day] if run and day - run[-1] == timedelta(days=1) else [day]
        if len(run) > len(best):
            best = run
    return [(y[d], x[d]) for d in best]


def granger(x: dict[date, float], y: dict[date, float]) -> dict[str, Any]:
    """Does x help predict y beyond y's own past? The lag by AIC (at most 7), the F test."""
    import numpy as np
    from statsmodels.tools.sm_exceptions import InfeasibleTestError
    from statsmodels.tsa.api import VAR
    from statsmodels.tsa.stattools import grangercausalitytests

    data = _consecutive(x, y)
    if len(data) < MIN_DAYS or len({a for a, _ in data}) < 3 or len({b for _, b in data}) < 3:
        return {"n": len(data), "p": None}
    array = np.asarray(data)
    cap = min(MAX_GRANGER_LAG, max(1, len(data) // 10))
    try:
        chosen = VAR(array).select_order(maxlags=cap).aic
    except (ValueError, np.linalg.LinAlgError):
        chosen = 1
    lag = max(1, int(chosen or 1))
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # older releases print, newer ones warn about it
            result = grangercausalitytests(array, maxlag=[lag])
    except InfeasibleTestError:
        return {"n": len(data), "lag": lag, "p": None}
    f_stat, p, *_ = result[lag][0]["ssr_ftest"]
    return {"n": len(data), "lag": lag, "f": float(f_stat), "p": float(p)}


def out_of_sample(returns: dict[date, float], signal: dict[date, float]) -> dict[str, Any]:
    """Tomorrow's direction from today's signal (OLS refitted on an expanding window), against
    the majority class so far and against today's return alone; accuracy with Wilson 95%."""
    import numpy as np
    from statsmodels.stats.proportion import proportion_confint

    rows = [(day, signal[day - timedelta(days=1)], returns.get(day - timedelta(days=1)), value)
            for day, value in sorted(returns.items()) if day - timedelta(days=1) in signal]
    hits = {"signal": 0, "majority": 0, "yesterday_return": 0}
    counted = {"signal": 0, "majority": 0, "yesterday_return": 0}
    for i in range(MIN_TRAIN, len(rows)):
        past, (_, today_signal, today_return, actual) = rows[:i], rows[i]
        up = actual > 0
        xs = np.asarray([r[1] for r in past])
        ys = np.asarray([r[3] for r in past])
        if len(set(xs.tolist())) > 1:
            slope, intercept = np.polyfit(xs, ys, 1)
            hits["signal"] += (slope * today_signal + intercept > 0) == up
            counted["signal"] += 1
        hits["majority"] += (sum(1 for r in past if r[3] > 0) * 2 >= len(past)) == up
        counted["majority"] += 1
        lagged = [(r[2], r[3]) for r in past if r[2] is not None]
        if today_return is not None and len(lagged) > 2 and len({a for a, _ in lagged}) > 1:
            slope, intercept = np.polyfit([a for a, _ in lagged], [b for _, b in lagged], 1)
            hits["yesterday_return"] += (slope * today_return + intercept > 0) == up
            counted["yesterday_return"] += 1
    out: dict[str, Any] = {}
    for name in hits:
        n = counted[name]
        if n:
            low, high = proportion_confint(hits[name], n, alpha=0.05, method="wilson")
            out[name] = {"n": n, "accuracy": hits[name] / n, "ci": [float(low), float(high)]}
        else:
            out[name] = {"n": 0, "accuracy": None, "ci": None}
    return out


def _verdict_lead(table: list[dict[str, Any]], who: str) -> str:
    leads = [r for r in table if r.get("significant") and r["lag"] > 0]
    follows = [r for r in table if r.get("significant") and r["lag"] < 0]
    if leads:
        best = min(leads, key=lambda r: r["p_holm"])
        return f"{who} leads returns by {best['lag']} day{'s' if best['lag'] > 1 else ''}"
    if follows:
        best = min(follows, key=lambda r: r["p_holm"])
        return (f"returns lead {who} by {-best['lag']} day{'s' if best['lag'] < -1 else ''}")
    return f"no detectable lead of {who} or of returns at 5% after correction"


def analyse(days: Sequence[MarketDay], *, min_titles: int = 3, seed: int = 0) -> dict[str, Any]:
    """The whole report as one JSON-ready document."""
    from statsmodels.stats.multitest import multipletests

    returns = {d.day: d.log_return for d in days if d.log_return is not None}
    mood = {d.day: d.mood for d in days if d.mood is not None and d.titles >= min_titles}
    fear = {d.day: float(d.fear_greed) for d in days if d.fear_greed is not None}
    report: dict[str, Any] = {"days": len(days), "min_titles": min_titles,
                              "mood_days": len(mood), "return_days": len(returns)}
    usable = len(set(mood) & set(returns))
    report["usable_days"] = usable
    if usable < MIN_DAYS:
        report["warning"] = (f"only {usable} days have both a return and at least {min_titles} "
                             f"titles naming the coin; at least {MIN_DAYS} are needed for these "
                             "tests to mean much")
        return report
    stationarity = {"returns": adf([returns[d] for d in sorted(returns)])}
    for name, series in (("mood", mood), ("fear_greed", fear)):
        stationarity[name] = adf([series[d] for d in sorted(series)]) if series else {
            "p": None, "stationary": None}
    report["stationarity"] = stationarity
    signals = {}
    for name, series in (("mood", mood), ("fear_greed", fear)):
        if not series:
            continue
        if stationarity[name].get("stationary") is False:
            series, used = _changes(series), f"{name}'s daily change"
        else:
            used = name
        signals[name] = (series, used)
    report["signals"] = {}
    for name, (series, used) in signals.items():
        report["signals"][name] = {
            "used": used,
            "same_day": same_day(series, returns, seed),
            "lead_lag": lead_lag(series, returns),
            "granger": {"signal_to_returns": granger(series, returns),
                        "returns_to_signal": granger(returns, series)},
            "out_of_sample": out_of_sample(returns, series),
        }
        tests = report["signals"][name]["granger"]
        ps = [t["p"] for t in tests.values() if t.get("p") is not None]
        if ps:
            reject, corrected, *_ = multipletests(ps, alpha=ALPHA, method="holm")
            for test, p, significant in zip([t for t in tests.values() if t.get("p") is not None],
                                            corrected, reject, strict=True):
                test["p_holm"], test["significant"] = float(p), bool(significant)
        report["signals"][name]["verdicts"] = _verdicts(report["signals"][name], name)
    return report


def _verdicts(signal: dict[str, Any], name: str) -> dict[str, str]:
    who = "mood" if name == "mood" else "the Fear & Greed Index"
    same = signal["same_day"]
    verdicts = {}
    if same.get("pearson_r") is None:
        verdicts["same_day"] = "not enough varied days to correlate"
    else:
        low, high = same["pearson_ci"]
        verdicts["same_day"] = (
            f"same-day r = {same['pearson_r']:+.2f} (95% {low:+.2f} to {high:+.2f}): "
            + ("no detectable same-day association" if low <= 0 <= high
               else "moves with returns on the same day"))
    verdicts["lead_lag"] = _verdict_lead(signal["lead_lag"], who)
    granger_tests = signal["granger"]
    ahead = granger_tests["signal_to_returns"]
    behind = granger_tests["returns_to_signal"]
    parts = []
    if ahead.get("significant"):
        parts.append(f"{who} helps predict returns (Granger, lag {ahead['lag']})")
    if behind.get("significant"):
        parts.append(f"returns help predict {who} (Granger, lag {behind['lag']})")
    verdicts["granger"] = "; ".join(parts) or (
        "no Granger causality in either direction at 5% after correction")
    oos = signal["out_of_sample"]
    mine, base = oos["signal"], oos["majority"]
    if mine.get("accuracy") is None:
        verdicts["out_of_sample"] = "too few days to predict out of sample"
    else:
        better = mine["ci"][0] > (base["accuracy"] or 0)
        verdicts["out_of_sample"] = (
            f"next-day direction {mine['accuracy']:.1%} right (95% {mine['ci'][0]:.1%}-"
            f"{mine['ci'][1]:.1%}) against {base['accuracy']:.1%} for the majority class: "
            + ("better than guessing" if better else "no better than the majority class"))
    return verdicts

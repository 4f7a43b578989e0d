"""The measures of `evaluate report` and `evaluate compare`, by scikit-learn (the `eval` extra):
accuracy, macro-F1, per-class precision/recall/F1/support, the confusion matrix (rows = truth),
95% bootstrap intervals (1,000 resamples, seeded), Cohen's kappa and McNemar's exact test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import ConfigError

LABELS = ["negative", "neutral", "positive"]
RESAMPLES = 1000


def _sklearn() -> Any:
    try:
        from sklearn import metrics
    except ImportError as exc:
        raise ConfigError('evaluate needs scikit-learn: pip install -e ".[eval]"') from exc
    return metrics


def report(truth: Sequence[str], predicted: Sequence[str], *, model: str, seed: int = 0
           ) -> dict[str, Any]:
    """One JSON-ready object: n, accuracy, macro_f1, per_class, confusion, ci, model; every
    measure at full precision (the text report rounds, `--json` does not)."""
    if len(truth) != len(predicted) or not truth:
        raise ConfigError("no judged title has a label to compare; judge some first "
                          "(`evaluate sample`, then `evaluate import`)")
    if len(set(truth)) < 2:
        raise ConfigError(f"the judgements hold only {sorted(set(truth))}: at least 2 classes "
                          "are needed to measure anything; judge a wider sample")
    m = _sklearn()
    precision, recall, f1, support = m.precision_recall_fscore_support(
        truth, predicted, labels=LABELS, zero_division=0)
    return {
        "n": len(truth),
        "accuracy": float(m.accuracy_score(truth, predicted)),
        "macro_f1": float(m.f1_score(truth, predicted, labels=LABELS, average="macro",
                                     zero_division=0)),
        "per_class": {label: {"precision": float(p), "recall": float(r), "f1": float(f),
                              "support": int(s)}
                      for label, p, r, f, s in zip(LABELS, precision, recall, f1, support,
                                                   strict=True)},
        "confusion": {"labels": LABELS,
                      "matrix": m.confusion_matrix(truth, predicted, labels=LABELS).tolist()},
        "ci": bootstrap(truth, predicted, seed=seed),
        "model": model,
    }


def bootstrap(truth: Sequence[str], predicted: Sequence[str], *, seed: int = 0
              ) -> dict[str, list[float]]:
    """95% percentile intervals of accuracy and macro-F1 over 1,000 seeded resamples. The library
    has no bootstrap for these; each resample's macro-F1 is computed from its confusion matrix
    as scikit-learn does (every label counted, 0 where undefined), a thousand times faster."""
    import numpy as np

    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(truth), (RESAMPLES, len(truth)))
    accuracy, macro = resampled(truth, predicted, picks)
    return {name: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))]
            for name, v in (("accuracy", accuracy), ("macro_f1", macro))}


def resampled(truth: Sequence[str], predicted: Sequence[str], picks: Any) -> tuple[Any, Any]:
    """Accuracy and macro-F1 of each resample (`picks`: one row of indices per resample)."""
    import numpy as np

    index = {label: i for i, label in enumerate(LABELS)}
    t = np.array([index[x] for x in truth])
    p = np.array([index[x] for x in predicted])
    count = len(picks)
    cells = (t[picks] * 3 + p[picks]) + (np.arange(count)[:, None] * 9)
    matrices = np.bincount(cells.ravel(), minlength=count * 9).reshape(count, 3, 3)
    hits = np.einsum("rii->ri", matrices).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(hits / matrices.sum(axis=1))
        recall = np.nan_to_num(hits / matrices.sum(axis=2))
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    return hits.sum(axis=1) / len(t), f1.mean(axis=1)


def compare(truth: Sequence[str], a: Sequence[str], b: Sequence[str]) -> dict[str, Any]:
    """Agreement of A and B (Cohen's kappa) and McNemar's exact test on the titles where exactly
    one of them is right, with a one-line verdict."""
    from scipy.stats import binomtest

    m = _sklearn()
    only_a = sum(1 for t, x, y in zip(truth, a, b, strict=True) if x == t != y)
    only_b = sum(1 for t, x, y in zip(truth, a, b, strict=True) if y == t != x)
    p_value = binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    if p_value < 0.05:
        verdict = f"{'A' if only_a > only_b else 'B'} is better: p = {p_value:.3g}"
    else:
        verdict = f"no significant difference (p = {p_value:.3g})"
    import math
    import warnings

    with warnings.catch_warnings():  # undefined when the two share one label: then None
        warnings.simplefilter("ignore")
        kappa = float(m.cohen_kappa_score(a, b, labels=LABELS))
    return {"kappa": None if math.isnan(kappa) else kappa,
            "only_a_right": only_a, "only_b_right": only_b,
            "mcnemar_p": float(p_value), "verdict": verdict}

"""`utoday-sentiment evaluate sample|import|report|compare`: is the label right?"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import ConfigError
from ..settings import Settings


def add_parser(sub: Any, make: Any) -> None:
    evaluate = make(sub, "evaluate")
    what = evaluate.add_subparsers(dest="evaluate_command", required=True, metavar="ACTION")
    sample = what.add_parser("sample", help="a blind sample of stored titles to judge")
    sample.add_argument("--size", type=int, required=True, metavar="N")
    sample.add_argument("--out", required=True, metavar="FILE.csv")
    sample.add_argument("--seed", type=int, default=0, help="the same seed, the same sample")
    imports = what.add_parser("import", help="store people's judgements from a CSV")
    imports.add_argument("file", metavar="FILE.csv")
    imports.add_argument("--judge", default="default", metavar="NAME")
    imports.add_argument("--label-map", metavar="WORD=LABEL,...",
                         help="synonyms, e.g. bullish=positive,bearish=negative")
    report = what.add_parser("report", help="the labels against the judgements (or a dataset)")
    source = report.add_mutually_exclusive_group()
    source.add_argument("--model", metavar="M", help="stored labels of model M "
                        "(default: the configured backend's, e.g. hf-api:<model id>)")
    source.add_argument("--backend", metavar="B", help="label the judged titles live with "
                        "backend B (hf-api, endpoint, sagemaker, onnx), writing nothing")
    report.add_argument("--dataset", metavar="FILE.csv", help="an external labelled CSV "
                        "instead of the judgements (labelled live by --backend or the configured)")
    report.add_argument("--text-column", default="text", metavar="C")
    report.add_argument("--label-column", default="label", metavar="L")
    report.add_argument("--json", action="store_true", help="exactly one JSON object")
    report.add_argument("--png", metavar="FILE", help="draw the confusion matrix")
    report.add_argument("--seed", type=int, default=0, help="the bootstrap's seed")
    compare = what.add_parser("compare", help="two backends live on the judged titles")
    compare.add_argument("a", metavar="A", help="a backend, e.g. hf-api")
    compare.add_argument("b", metavar="B", help="another, e.g. onnx")
    compare.add_argument("--json", action="store_true")


def _live(settings: Settings, backend: str, texts: list[str]) -> tuple[list[str], str]:
    """Each text's label from `backend`, nothing written; the backend's model identity."""
    from ..labelling import InputRefused, OutOfTime, make_labeller

    chosen = dataclasses.replace(settings, sentiment_backend=backend)
    labeller = make_labeller(chosen)
    try:
        labels: list[str] = []
        for start in range(0, len(texts), chosen.hf_batch_size):
            batch = texts[start : start + chosen.hf_batch_size]
            labels += [p.sentiment for p in labeller.classify(batch, Deadline())]
    except (InputRefused, OutOfTime) as exc:
        raise ConfigError(f"the {backend} backend stopped halfway ({exc}); nothing was "
                          "written; run the report again") from exc
    finally:
        labeller.close()
    return labels, labeller.model


def _dataset(path: Path, text: str, label: str) -> tuple[list[str], list[str]]:
    from ..evaluation import parse_label_map

    mapping = parse_label_map(None)
    try:
        with path.open(newline="", encoding="utf-8-sig") as source:
            rows = list(csv.DictReader(source))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    if not rows or text not in rows[0] or label not in rows[0]:
        raise ConfigError(f"{path} needs the columns {text!r} and {label!r} "
                          "(--text-column, --label-column)")
    unknown = sorted({r[label] for r in rows if r[label].strip().lower() not in mapping})
    if unknown:
        raise ConfigError(f"{path}: labels {unknown[:5]} are not positive, neutral or negative")
    return [r[text] for r in rows], [mapping[r[label].strip().lower()] for r in rows]


def cmd_evaluate(args: argparse.Namespace, settings: Settings, connect: Any) -> int:
    from .. import evaluation, metrics
    from ..jobs import model_identity
    from ..report import format_table
    from ..store.migrate import migrate

    command = args.evaluate_command
    if command == "report" and args.dataset:
        texts, truth = _dataset(Path(args.dataset), args.text_column, args.label_column)
        predicted, model = _live(settings, args.backend or settings.sentiment_backend, texts)
        return _print_report(metrics.report(truth, predicted, model=model, seed=args.seed), args)
    conn = connect()
    try:
        migrate(conn)
        if command == "sample":
            rows = evaluation.sample(conn, args.size, args.seed)
            evaluation.write_sample(rows, Path(args.out))
            print(f"evaluate: {len(rows)} titles to judge written to {args.out} (seed "
                  f"{args.seed}); fill the label column, then `evaluate import {args.out}`")
            return 0
        if command == "import":
            count = evaluation.import_judgements(
                conn, Path(args.file), args.judge, evaluation.parse_label_map(args.label_map))
            print(f"evaluate: {count} judgements by {args.judge} stored")
            return 0
        judged = evaluation.judged_titles(conn)
    finally:
        conn.close()
    if command == "compare":
        truth = [r[2] for r in judged]
        a, model_a = _live(settings, args.a, [r[1] for r in judged])
        b, model_b = _live(settings, args.b, [r[1] for r in judged])
        result = {"a": metrics.report(truth, a, model=model_a),
                  "b": metrics.report(truth, b, model=model_b), **metrics.compare(truth, a, b)}
        if args.json:
            print(json.dumps(result))
        else:
            rows = [(name, r["model"], r["n"], _4(r["accuracy"]), _4(r["macro_f1"]))
                    for name, r in (("A", result["a"]), ("B", result["b"]))]
            print(format_table(("", "model", "n", "accuracy", "macro_f1"), rows))
            print(f"agreement (Cohen's kappa): {_4(result['kappa'])}; only A right on "
                  f"{result['only_a_right']}, only B on {result['only_b_right']}: "
                  f"{result['verdict']}")
        return 0
    if args.backend:
        predicted, model = _live(settings, args.backend, [r[1] for r in judged])
        truth = [r[2] for r in judged]
    else:
        model = args.model or model_identity(settings)
        return _print_report(evaluation.stored_quality(judged, model, seed=args.seed), args)
    return _print_report(metrics.report(truth, predicted, model=model, seed=args.seed), args)


def _print_report(result: dict[str, Any], args: argparse.Namespace) -> int:
    from ..report import format_table

    if args.png:
        _confusion_png(result, Path(args.png))
    if args.json:
        print(json.dumps(result))
        return 0
    ci = result["ci"]
    print(f"model {result['model']}, n = {result['n']}: accuracy {_4(result['accuracy'])} "
          f"(95% {_4(ci['accuracy'][0])}-{_4(ci['accuracy'][1])}), macro-F1 "
          f"{_4(result['macro_f1'])} (95% {_4(ci['macro_f1'][0])}-{_4(ci['macro_f1'][1])})")
    print(format_table(("class", "precision", "recall", "f1", "support"),
                       [(k, _4(v["precision"]), _4(v["recall"]), _4(v["f1"]), v["support"])
                        for k, v in result["per_class"].items()]))
    labels = result["confusion"]["labels"]
    print(format_table(("truth \\ predicted", *labels),
                       [(t, *row) for t, row in zip(labels, result["confusion"]["matrix"],
                                                    strict=True)]))
    return 0


def _confusion_png(result: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError('--png needs matplotlib: pip install -e ".[report]"') from exc
    labels, matrix = result["confusion"]["labels"], result["confusion"]["matrix"]
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=100)
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(3), labels)
    ax.set_yticks(range(3), labels)
    ax.set_xlabel("model's label")
    ax.set_ylabel("judgement (truth)")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center")
    ax.set_title(f"{result['model']}: accuracy {_4(result['accuracy'])}, n = {result['n']}")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    print(f"confusion matrix written to {path}", file=sys.stderr)


def _4(value: float | None) -> str:
    """A measure as the text report shows it: four decimals (JSON keeps every digit)."""
    return "-" if value is None else f"{value:.4f}"

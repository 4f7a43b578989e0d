"""`python -m bench.onnx_local`: labelling on this machine with a DistilRoBERTa-sized model.

The model (6 layers, hidden 768, 12 heads, FFN 3072, a 50,265-word vocabulary, 514 positions,
random weights) is written offline with onnx.helper: nothing is downloaded. It compares, in one
run, (a) the naive way: fp32, one title per call, and (b) the project's onnx backend on the
int8 (dynamically quantised) model: titles sorted by length and padded per batch of 32.
Needs the onnx extra and onnx (`pip install -e ".[dev]"`). Writes bench/onnx_results.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LAYERS, HIDDEN, HEADS, FFN, VOCAB, POSITIONS = 6, 768, 12, 3072, 50265, 514


def build_model(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights, nodes = [], []

    def tensor(name, value):  # a constant of the graph
        weights.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def random(name, *shape):
        return tensor(name, (rng.standard_normal(shape, dtype=np.float32) * 0.02))

    def op(kind, inputs, output, **attrs):
        nodes.append(helper.make_node(kind, inputs, [output], **attrs))
        return output

    def layer_norm(x, name):
        return op("LayerNormalization", [x, tensor(f"{name}.g", np.ones(HIDDEN, np.float32)),
                                         tensor(f"{name}.b", np.zeros(HIDDEN, np.float32))],
                  f"{name}.out", axis=-1, epsilon=1e-5)

    def dense(x, name, inputs, outputs):
        y = op("MatMul", [x, random(f"{name}.w", inputs, outputs)], f"{name}.mm")
        return op("Add", [y, tensor(f"{name}.bias", np.zeros(outputs, np.float32))], f"{name}.out")

    mask = op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    positions = op("Add", [op("Mul", [op("CumSum", ["attention_mask", tensor("one_axis", np.array(1))],
                                         "cum"), "attention_mask"], "pos0"),
                           tensor("pad_offset", np.array(1, np.int64))], "positions")
    hidden = op("Add", [op("Gather", [random("words", VOCAB, HIDDEN), "input_ids"], "w_emb"),
                        op("Gather", [random("pos", POSITIONS, HIDDEN), positions], "p_emb")],
                "emb")
    hidden = layer_norm(hidden, "emb_ln")
    bias = op("Mul", [op("Sub", [tensor("one", np.array(1.0, np.float32)),
                                 op("Unsqueeze", [mask, tensor("axes12", np.array([1, 2]))], "m4")],
                         "inv"), tensor("neg", np.array(-10000.0, np.float32))], "mask_bias")
    heads_shape = tensor("heads_shape", np.array([0, 0, HEADS, HIDDEN // HEADS]))
    flat_shape = tensor("flat_shape", np.array([0, 0, HIDDEN]))
    scale = tensor("scale", np.array(1 / np.sqrt(HIDDEN // HEADS), np.float32))
    def split(hidden, name):  # one projection, as [batch, heads, sequence, head size]
        x = dense(hidden, name, HIDDEN, HIDDEN)
        return op("Transpose", [op("Reshape", [x, heads_shape], f"{name}.r")], f"{name}.t",
                  perm=[0, 2, 1, 3])

    for i in range(LAYERS):
        q, k, v = (split(hidden, f"l{i}.{kind}") for kind in "qkv")
        kt = op("Transpose", [k], f"l{i}.kt", perm=[0, 1, 3, 2])
        scores = op("Add", [op("Mul", [op("MatMul", [q, kt], f"l{i}.qk"), scale], f"l{i}.s"), bias],
                    f"l{i}.sb")
        context = op("MatMul", [op("Softmax", [scores], f"l{i}.p", axis=-1), v], f"l{i}.ctx")
        context = op("Reshape", [op("Transpose", [context], f"l{i}.ct", perm=[0, 2, 1, 3]),
                                 flat_shape], f"l{i}.cf")
        hidden = layer_norm(op("Add", [hidden, dense(context, f"l{i}.o", HIDDEN, HIDDEN)],
                               f"l{i}.res1"), f"l{i}.ln1")
        up = dense(hidden, f"l{i}.up", HIDDEN, FFN)
        gelu = op("Mul", [op("Mul", [up, tensor(f"l{i}.half", np.array(0.5, np.float32))], f"l{i}.h"),
                          op("Add", [tensor(f"l{i}.one", np.array(1.0, np.float32)),
                                     op("Erf", [op("Div", [up, tensor(f"l{i}.r2", np.array(
                                         np.sqrt(2), np.float32))], f"l{i}.ud")], f"l{i}.erf")],
                             f"l{i}.e1")], f"l{i}.gelu")
        hidden = layer_norm(op("Add", [hidden, dense(gelu, f"l{i}.down", FFN, HIDDEN)],
                               f"l{i}.res2"), f"l{i}.ln2")
    first = op("Gather", [hidden, tensor("zero", np.array(0, np.int64))], "cls", axis=1)
    pooled = op("Tanh", [dense(first, "head.dense", HIDDEN, HIDDEN)], "pooled")
    logits = dense(pooled, "head.out", HIDDEN, 3)
    nodes.append(helper.make_node("Identity", [logits], ["logits"]))
    dims = ["batch", "sequence"]
    graph = helper.make_graph(
        nodes, "distilroberta-shaped",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dims),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dims)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def build_folder(folder: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    folder.mkdir(parents=True, exist_ok=True)
    words = ["<s>", "<pad>", "</s>", "<unk>"] + [f"w{i}" for i in range(VOCAB - 4)]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "config.json").write_text(json.dumps({
        "model_type": "roberta", "max_position_embeddings": POSITIONS, "pad_token_id": 1,
        "id2label": {"0": "negative", "1": "neutral", "2": "positive"}}))
    build_model(folder / "model.onnx")


def headlines(count: int) -> list[str]:
    from fakes import articles

    rng = np.random.default_rng(1)
    made = []
    for article in articles(0, count):  # 15-25 tokens, as U.Today's headlines
        extra = " ".join(["details"] * int(rng.integers(6, 16)))
        made.append(f"{article.title} {extra}")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.onnx_local")
    parser.add_argument("--titles", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", default=str(ROOT / "bench" / "onnx_results.json"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from utoday_sentiment.deadline import Deadline
    from utoday_sentiment.labelling import make_labeller
    from utoday_sentiment.labelling.export import quantize_folder
    from utoday_sentiment.settings import load_settings

    titles = headlines(args.titles)
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "fp32", Path(tmp) / "int8"
        started = time.perf_counter()
        build_folder(fp32)
        built = time.perf_counter() - started
        build_folder(int8)
        quantize_folder(int8)
        sizes = {"fp32": (fp32 / "model.onnx").stat().st_size,
                 "int8": (int8 / "model.onnx").stat().st_size}
        naive = make_labeller(load_settings({"SENTIMENT_BACKEND": "onnx", "ONNX_MODEL": str(fp32),
                                             "ONNX_THREADS": "2", "ONNX_BATCH_SIZE": "1"}))
        project = make_labeller(load_settings({"SENTIMENT_BACKEND": "onnx",
                                               "ONNX_MODEL": str(int8), "ONNX_THREADS": "2",
                                               "ONNX_BATCH_SIZE": "32"}))
        rates: dict[str, list[float]] = {"naive": [], "project": []}
        for _ in range(args.runs):
            for name, labeller in (("naive", naive), ("project", project)):
                started = time.perf_counter()
                if name == "naive":
                    for title in titles:  # one title per call
                        labeller.classify([title], Deadline())
                else:
                    labeller.classify(titles, Deadline())
                rates[name].append(len(titles) / (time.perf_counter() - started))
    naive_rate, project_rate = statistics.median(rates["naive"]), statistics.median(rates["project"])
    result = {
        "titles": args.titles, "runs": args.runs, "build_seconds": round(built, 1),
        "model_bytes": sizes, "titles_per_second": {k: [round(r, 1) for r in v]
                                                    for k, v in rates.items()},
        "median": {"naive": round(naive_rate, 1), "project": round(project_rate, 1)},
        "ratio": round(project_rate / naive_rate, 2),
        "targets": {"ratio >= 8": project_rate / naive_rate >= 8,
                    "project >= 100 titles/s": project_rate >= 100},
    }
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    print(f"| labelling on this machine, {args.titles} titles, {args.runs} runs | titles/s "
          f"(median) | spread |\n|---|---|---|\n"
          f"| (a) fp32, one title per call | {naive_rate:.1f} | {min(rates['naive']):.1f}-"
          f"{max(rates['naive']):.1f} |\n"
          f"| (b) onnx backend, int8, sorted batches of 32 | {project_rate:.1f} | "
          f"{min(rates['project']):.1f}-{max(rates['project']):.1f} |\n"
          f"| (b) / (a) | {project_rate / naive_rate:.2f}x | target >= 8x: "
          f"{'met' if project_rate / naive_rate >= 8 else 'NOT met'}; >= 100 titles/s: "
          f"{'met' if project_rate >= 100 else 'NOT met'} |\n"
          f"model: {sizes['fp32']:,} bytes fp32, {sizes['int8']:,} int8; built in {built:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

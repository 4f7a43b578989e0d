"""A tiny ONNX text classifier in the layout `optimum` exports (model.onnx, tokenizer.json,
config.json), built offline in milliseconds: word embeddings, masked mean pooling, a linear
head. Words of rising prices push `positive`, of falling prices `negative`; the rest lean
`neutral`. Needs onnx (to build) and tokenizers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # RoBERTa's ids 0-3
RISING = ["surge", "surges", "soars", "rally", "rallies", "climbs", "gains", "bullish", "jumps"]
FALLING = ["crash", "crashes", "plunge", "plunges", "slips", "drops", "bearish", "hack", "falls"]
PLAIN = ["bitcoin", "btc", "ethereum", "xrp", "price", "market", "as", "the", "to", "new", "of",
         "in", "on", "a", "and", "whales", "move", "millions", "cardano", "ada", "flips", "rival",
         "bulls", "eyes", "golden", "cross", "dogecoin", "shiba", "inu", "solana", "stellar",
         "xlm", "details"]
ID2LABEL = {"0": "negative", "1": "neutral", "2": "positive"}


def build(folder: Path, *, max_positions: int = 34, logits_name: str = "logits",
          id2label: dict[str, str] | None = None) -> Path:
    """Write the three files into `folder` and return it."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {token: i for i, token in enumerate(SPECIALS + RISING + FALLING + PLAIN)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer.save(str(folder / "tokenizer.json"))  # padding and truncation off, as optimum's

    embeddings = np.zeros((len(vocab), 3), np.float32)
    embeddings[4:, 1] = 0.5
    for word in RISING:
        embeddings[vocab[word]] = [0.0, 0.0, 12.0]
    for word in FALLING:
        embeddings[vocab[word]] = [12.0, 0.0, 0.0]
    constants = [
        numpy_helper.from_array(embeddings, "embeddings"),
        numpy_helper.from_array(np.eye(3, dtype=np.float32), "head"),
        numpy_helper.from_array(np.array([0.0, 0.4, 0.0], np.float32), "bias"),
        numpy_helper.from_array(np.array([-1], np.int64), "last"),
        numpy_helper.from_array(np.array([1], np.int64), "tokens"),
        numpy_helper.from_array(np.array([1e-9], np.float32), "epsilon"),
    ]
    nodes = [
        helper.make_node("Gather", ["embeddings", "input_ids"], ["vectors"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "last"], ["mask3"]),
        helper.make_node("Mul", ["vectors", "mask3"], ["kept"]),
        helper.make_node("ReduceSum", ["kept", "tokens"], ["total"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "tokens"], ["count"], keepdims=0),
        helper.make_node("Max", ["count", "epsilon"], ["safe"]),
        helper.make_node("Div", ["total", "safe"], ["mean"]),
        helper.make_node("MatMul", ["mean", "head"], ["scaled"]),
        helper.make_node("Add", ["scaled", "bias"], [logits_name]),
    ]
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                         ["batch", "sequence"])
    out = helper.make_tensor_value_info(logits_name, TensorProto.FLOAT, ["batch", 3])
    graph = helper.make_graph(nodes, "tiny-classifier", [ids, mask], [out], constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))
    config = {"model_type": "roberta", "max_position_embeddings": max_positions,
              "pad_token_id": 1, "id2label": id2label or ID2LABEL}
    (folder / "config.json").write_text(json.dumps(config))
    return folder

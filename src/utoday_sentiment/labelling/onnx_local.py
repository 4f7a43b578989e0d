"""Labels on this machine: ONNX Runtime and the `tokenizers` library, no torch
(SENTIMENT_BACKEND=onnx; `pip install -e ".[onnx]"`).

A model is a folder, or a Hub repo id downloaded once into the user cache with huggingface_hub,
holding the layout `optimum` exports: `model.onnx` (inputs `input_ids`, `attention_mask`; output
`logits`), `tokenizer.json` and `config.json` with `id2label`. Titles are sorted by length and
padded per batch (ONNX_BATCH_SIZE), truncated at the model's maximum length; softmax over the
logits; the labels mapped with HF_LABEL_MAP. The model's identity, stored with each label, is
`onnx:<name>@<first 12 hex of model.onnx's SHA-256>`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import ConfigError
from ..records import Prediction
from ..settings import Settings
from .base import OutOfTime

_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
FILES = ("model.onnx", "onnx/model.onnx", "tokenizer.json", "config.json")


def _imports() -> tuple[Any, Any, Any]:
    try:
        import numpy
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ConfigError(
            f"SENTIMENT_BACKEND=onnx needs ONNX Runtime and tokenizers ({exc.name} is missing): "
            'pip install -e ".[onnx]"'
        ) from exc
    return numpy, onnxruntime, Tokenizer


def model_folder(spec: str) -> Path:
    """ONNX_MODEL as a folder: the folder itself, or a Hub repo downloaded once to the cache."""
    folder = Path(spec).expanduser()
    if folder.is_dir():
        return folder
    if not _REPO_ID.match(spec) or spec.startswith((".", "/", "~")):
        raise ConfigError(
            f"ONNX_MODEL={spec} is not a folder; give the folder `utoday-sentiment model export` "
            "made, or a Hub repo id (org/name) holding model.onnx, tokenizer.json, config.json"
        )
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise ConfigError('ONNX_MODEL as a Hub repo id needs huggingface_hub: pip install -e '
                          '".[onnx]"') from exc
    try:
        return Path(snapshot_download(spec, allow_patterns=list(FILES)))
    except Exception as exc:
        raise ConfigError(
            f"ONNX_MODEL={spec}: cannot get it from the Hub ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160] if str(exc) else ''}); check the repo id, the "
            "network, or download the folder and give its path"
        ) from exc


def model_file(folder: Path) -> Path | None:
    return next((folder / f for f in FILES[:2] if (folder / f).is_file()), None)


def identity(settings: Settings, folder: Path | None = None, model: Path | None = None) -> str:
    """`onnx:<name>@<first 12 hex of model.onnx's SHA-256>`: what each label records. The name is
    the S3 folder's on AWS, the Hub repo id, or the local folder's."""
    spec = settings.onnx_model or ""
    folder = folder or model_folder(spec)
    model = model or model_file(folder)
    if model is None:
        raise ConfigError(f"ONNX_MODEL={spec} has no model.onnx; export the model again with "
                          "`utoday-sentiment model export`")
    if settings.onnx_model_s3_uri:  # on AWS: the folder's name in S3, not /tmp's
        name = settings.onnx_model_s3_uri.rstrip("/").rsplit("/", 1)[-1]
    elif Path(spec).expanduser().is_dir():
        name = folder.resolve().name
    else:  # a Hub repo id
        name = spec
    return f"onnx:{name}@{hashlib.sha256(model.read_bytes()).hexdigest()[:12]}"


class OnnxClassifier:
    def __init__(self, settings: Settings) -> None:
        numpy, ort, tokenizer_class = _imports()
        if not settings.onnx_model:
            raise ConfigError("SENTIMENT_BACKEND=onnx needs ONNX_MODEL: a model folder or repo id")
        folder = model_folder(settings.onnx_model)
        model = model_file(folder)
        for name, path in (("model.onnx", model), ("tokenizer.json", folder / "tokenizer.json"),
                           ("config.json", folder / "config.json")):
            if path is None or not path.is_file():
                raise ConfigError(f"ONNX_MODEL={settings.onnx_model} has no {name}; export the "
                                  "model again with `utoday-sentiment model export`")
        assert model is not None  # noqa: S101 - checked just above
        self.np = numpy
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.labels = self._labels(config, settings)
        options = ort.SessionOptions()
        if settings.onnx_threads:
            options.intra_op_num_threads = settings.onnx_threads
        try:
            self.session = ort.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ConfigError(f"ONNX_MODEL={settings.onnx_model}: model.onnx does not load "
                              f"({str(exc).splitlines()[0][:160]})") from exc
        inputs = {i.name for i in self.session.get_inputs()}
        outputs = [o.name for o in self.session.get_outputs()]
        if not {"input_ids", "attention_mask"} <= inputs or "logits" not in outputs:
            raise ConfigError(
                f"ONNX_MODEL={settings.onnx_model}: model.onnx takes {sorted(inputs)} and gives "
                f"{outputs}; a classifier takes input_ids and attention_mask and gives logits"
            )
        self.feeds = sorted(inputs)
        self.tokenizer = tokenizer_class.from_file(str(folder / "tokenizer.json"))
        longest = int(config.get("max_position_embeddings", 514))
        # RoBERTa counts two positions more than it reads; others read all of them
        limit = longest - 2 if config.get("model_type", "roberta") == "roberta" else longest
        self.tokenizer.enable_truncation(max_length=min(limit, 512))
        pad = config.get("pad_token_id")
        pad_token = self.tokenizer.id_to_token(pad) if isinstance(pad, int) else "<pad>"
        pad_id = pad if isinstance(pad, int) else (self.tokenizer.token_to_id("<pad>") or 0)
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token or "<pad>")
        self.batch_size = settings.onnx_batch_size
        self.model = identity(settings, folder, model)
        self.requests_sent = 0
        self.retries = 0

    @staticmethod
    def _labels(config: dict[str, Any], settings: Settings) -> list[str]:
        """The sentiment of each logit, in order, from config.json's id2label and HF_LABEL_MAP."""
        id2label = config.get("id2label")
        if not isinstance(id2label, dict) or not id2label:
            raise ConfigError(f"ONNX_MODEL={settings.onnx_model}: config.json has no id2label")
        mapping = settings.label_map
        ordered = [str(id2label[k]) for k in sorted(id2label, key=int)]
        unmapped = [label for label in ordered if label.strip().lower() not in mapping]
        if unmapped:
            raise ConfigError(
                f"ONNX_MODEL={settings.onnx_model}: config.json's labels {unmapped} do not map to "
                "positive/neutral/negative; set HF_LABEL_MAP, e.g. LABEL_0=negative,..."
            )
        return [mapping[label.strip().lower()] for label in ordered]

    def close(self) -> None:
        pass

    def classify(self, texts: Sequence[str], deadline: Deadline) -> list[Prediction]:
        np = self.np
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        results: list[Prediction | None] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            if deadline.expired():
                raise OutOfTime("no time left to run the model")
            chunk = order[start : start + self.batch_size]
            encoded = self.tokenizer.encode_batch([texts[i] for i in chunk])
            feed = {
                "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            }
            if "token_type_ids" in self.feeds:
                feed["token_type_ids"] = np.array([e.type_ids for e in encoded], dtype=np.int64)
            self.requests_sent += 1
            (logits,) = self.session.run(["logits"], feed)
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities = shifted / shifted.sum(axis=1, keepdims=True)
            for index, row in zip(chunk, probabilities, strict=True):
                scores: dict[str, float] = {}
                for sentiment, p in zip(self.labels, row, strict=True):
                    scores[sentiment] = scores.get(sentiment, 0.0) + float(p)
                best = max(scores, key=lambda s: scores[s])
                results[index] = Prediction(best, scores[best], scores)
        return [r for r in results if r is not None]

"""`utoday-sentiment model export MODEL_ID DIR [--quantize]`: make a folder the onnx backend loads
(model.onnx, tokenizer.json, config.json) from any Hub text-classification model, with
`optimum` (the `export` extra: it brings torch), and optionally int8 dynamic quantisation with
ONNX Runtime (about a quarter of the size and two to three times faster on a CPU)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError, UtodayError


def export(model_id: str, folder: Path, *, quantize: bool = False) -> Path:
    try:
        from optimum.exporters.onnx import main_export
    except ImportError as exc:
        raise ConfigError(
            'model export needs optimum, which brings torch: pip install -e ".[export]" (on '
            "Linux install a CPU build of torch first, or pip fetches several GB of CUDA)"
        ) from exc
    folder.mkdir(parents=True, exist_ok=True)
    try:
        main_export(model_id, output=folder, task="text-classification")
    except Exception as exc:
        raise UtodayError(
            f"exporting {model_id} failed ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''})"
        ) from exc
    if quantize:
        quantize_folder(folder)
    return folder


def quantize_folder(folder: Path) -> Path:
    """Replace folder/model.onnx with its int8 dynamic quantisation (the fp32 file is kept as
    model.fp32.onnx). Returns the quantised file."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ConfigError('quantising needs ONNX Runtime: pip install -e ".[onnx]"') from exc
    model = folder / "model.onnx"
    if not model.is_file():
        raise ConfigError(f"{folder} has no model.onnx to quantise")
    original = folder / "model.fp32.onnx"
    model.replace(original)
    import logging

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process goes to the root logger
    try:
        quantize_dynamic(str(original), str(model), weight_type=QuantType.QInt8)
    except Exception as exc:
        original.replace(model)
        raise UtodayError(f"quantising {model} failed ({str(exc).splitlines()[0][:200]})") from exc
    finally:
        root.setLevel(level)
    return model

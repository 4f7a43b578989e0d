"""Labelling: one protocol (`base.Labeller`), the pure reading of answers (`interpret`), and the
backends behind it (`hf_api`: the Hugging Face Inference API; `endpoint`: a dedicated
Inference Endpoint, Inference Toolkit or Text Embeddings Inference; `sagemaker`: an Amazon
SageMaker endpoint)."""

from __future__ import annotations

from ..settings import Settings
from .base import InputRefused, Labeller, OutOfTime, ServiceFault, StopRun


def make_labeller(settings: Settings) -> Labeller:
    """The backend SENTIMENT_BACKEND chooses."""
    if settings.sentiment_backend == "onnx":
        from .onnx_local import OnnxClassifier

        return OnnxClassifier(settings)
    if settings.sentiment_backend == "sagemaker":
        from .sagemaker import SageMakerClient

        return SageMakerClient(settings)
    if settings.sentiment_backend == "endpoint":
        from .endpoint import EndpointClient

        return EndpointClient(settings)
    from .hf_api import HFClient

    return HFClient(settings)


__all__ = [
    "InputRefused", "Labeller", "OutOfTime", "ServiceFault", "StopRun", "make_labeller",
]

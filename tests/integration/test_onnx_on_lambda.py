"""SentimentBackend=onnx on AWS: the label function copies the model folder from S3 into /tmp
at a cold start (moto stands in for S3) and labels with it."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from fakes.tiny_model import build
from tests.helpers import seed
from utoday_sentiment.errors import ConfigError
from utoday_sentiment.handlers import runtime

URI = "s3://models-bucket/tiny/v1/"


@pytest.fixture
def bucket(tmp_path, monkeypatch):
    folder = build(tmp_path / "built")
    monkeypatch.setattr(runtime, "MODEL_DIR", str(tmp_path / "lambda-tmp"))
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket="models-bucket",
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        for name in ("model.onnx", "tokenizer.json", "config.json"):
            s3.upload_file(str(folder / name), "models-bucket", f"tiny/v1/{name}")
        yield s3


def test_the_model_is_copied_once_per_container(bucket, tmp_path):
    target = runtime.model_from_s3(URI)
    assert sorted(p.name for p in (tmp_path / "lambda-tmp").iterdir()) == [
        "config.json", "model.onnx", "tokenizer.json"]
    bucket.delete_object(Bucket="models-bucket", Key="tiny/v1/model.onnx")
    assert runtime.model_from_s3(URI) == target  # a warm container does not ask again


def test_a_missing_file_is_one_line_naming_it(bucket, tmp_path):
    bucket.delete_object(Bucket="models-bucket", Key="tiny/v1/config.json")
    with pytest.raises(ConfigError) as info:
        runtime.model_from_s3(URI, str(tmp_path / "elsewhere"))
    assert str(info.value).startswith("cannot copy s3://models-bucket/tiny/v1/config.json")


def test_the_label_function_labels_with_the_model_from_s3(bucket, monkeypatch, conn, db_url,
                                                          query):
    from utoday_sentiment.handlers.local import invoke

    seed(conn, 3, title="Bitcoin Surges")
    for name, value in {"DATABASE_URL": db_url, "SENTIMENT_BACKEND": "onnx",
                        "ONNX_MODEL_S3_URI": URI}.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    try:
        result = invoke("label", {})
    finally:
        runtime.reset()
    assert result["labelled"] == 3 and result["remaining"] == 0
    (model,) = query("SELECT DISTINCT sentiment_model FROM titles")[0]
    assert model.startswith("onnx:v1@")  # named after the S3 folder, not /tmp
    assert query("SELECT DISTINCT sentiment FROM titles") == [("positive",)]

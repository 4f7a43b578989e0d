-- Each label names the service and the model that gave it, so labels of different backends and
-- models can be told apart (`label --relabel`, evaluation): hf-api:<model id>,
-- endpoint:<model id>, sagemaker:<endpoint>, onnx:<name>@<sha256 prefix of model.onnx>.
-- Labels stored before carry the bare model id; they came from the Inference API (or a
-- dedicated endpoint set with HF_API_URL, which cannot be told apart now).
UPDATE titles SET sentiment_model = 'hf-api:' || sentiment_model
WHERE sentiment_model IS NOT NULL AND position(':' IN sentiment_model) = 0;

"""The one Logger, Metrics and Tracer every handler shares (Powertools)."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

SERVICE = "utoday-sentiment"
NAMESPACE = "UTodaySentiment"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)

# The pipeline logs through the standard `utoday_sentiment.*` loggers, most of them imported only
# when a handler first runs. Configure their common parent now (it must exist to be copied to):
# the children propagate to it, so every line is JSON with the correlation id.
logging.getLogger("utoday_sentiment")
copy_config_to_registered_loggers(source_logger=logger, include={"utoday_sentiment"})

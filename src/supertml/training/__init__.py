"""CNN training and prediction on cached event images (Lightning + timm)."""

from supertml.training.backbone import NAMED_ARCHITECTURES, create_backbone
from supertml.training.model import ImageClassifier, PretrainedWeightsError
from supertml.training.predict import predict_caches
from supertml.training.train import TrainSettings, train_classifier

__all__ = [
    "NAMED_ARCHITECTURES",
    "ImageClassifier",
    "PretrainedWeightsError",
    "TrainSettings",
    "create_backbone",
    "predict_caches",
    "train_classifier",
]

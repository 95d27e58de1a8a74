"""CNN training and prediction on cached event images (Lightning + timm)."""

from supertml.training.model import ImageClassifier, PretrainedWeightsError, create_backbone
from supertml.training.predict import predict_caches
from supertml.training.train import TrainSettings, train_classifier

__all__ = [
    "ImageClassifier",
    "PretrainedWeightsError",
    "TrainSettings",
    "create_backbone",
    "predict_caches",
    "train_classifier",
]

"""The CNN classifier: a timm backbone inside a LightningModule.

Images arrive as the cache stores them, uint8 ``[N, H, W]``; turning them into normalised
three-channel floats happens inside :meth:`ImageClassifier.forward`, i.e. on the device the
model runs on, so the host never ships float images (DESIGN.md "Performance shape").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import timm
import torch
from sklearn.metrics import roc_auc_score
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from torch import nn
from torch.nn import functional as F  # noqa: N812 - the conventional alias

from supertml.metrics import max_ams

__all__ = ["ImageClassifier", "PretrainedWeightsError", "create_backbone"]


class PretrainedWeightsError(RuntimeError):
    """Pretrained weights were asked for but could not be obtained."""


def create_backbone(
    architecture: str,
    *,
    pretrained: bool,
    weights_file: str | Path | None = None,
    num_classes: int = 2,
) -> nn.Module:
    """Build a timm model whose classifier is replaced by a ``num_classes`` output layer.

    Pretrained ImageNet weights come through timm's normal mechanism (a download into the
    Torch / Hugging Face cache), or from ``weights_file`` for machines without internet, in
    which case timm adapts the classifier exactly as for a download.

    >>> model = create_backbone("test_resnet", pretrained=False)
    >>> model(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 2])
    """
    if architecture not in timm.list_models():
        raise ValueError(f"unknown timm model {architecture!r} (see timm.list_models())")
    overlay: dict[str, Any] | None = None
    if weights_file is not None:
        if not pretrained:
            raise ValueError(f"weights_file {weights_file} given but pretrained is false")
        path = Path(weights_file)
        if not path.is_file():
            raise PretrainedWeightsError(f"weights_file {path} does not exist")
        overlay = {"file": str(path)}
    try:
        model: nn.Module = timm.create_model(
            architecture,
            pretrained=pretrained,
            pretrained_cfg_overlay=overlay,
            num_classes=num_classes,
        )
    except (OSError, RuntimeError, ValueError) as exc:
        if not pretrained:
            raise
        raise PretrainedWeightsError(
            f"could not load pretrained ImageNet weights for {architecture!r}: {exc}\n"
            "Without internet, download the weights elsewhere (e.g. timm.create_model("
            f"'{architecture}', pretrained=True) and torch.save of its state_dict), copy the "
            "file here and name it in the model's `weights_file`; or set `pretrained: false` "
            "to train from scratch. For Hugging Face hosted weights set HF_HUB_OFFLINE=1 to "
            "fail fast instead of retrying."
        ) from exc
    return model


class ImageClassifier(pl.LightningModule):
    """Two-class softmax classifier of one-channel uint8 event images; p(signal) is the score.

    Trained unweighted with cross entropy (as the study), AdamW and a one-cycle learning-rate
    schedule over all layers. Validation tracks loss, error rate, ROC AUC and the maximum
    validation AMS (with the event weights of the cache).
    """

    channel_mean: torch.Tensor  # registered buffers, declared for type checkers
    channel_std: torch.Tensor

    def __init__(
        self,
        architecture: str,
        *,
        pretrained: bool = False,
        weights_file: str | None = None,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.01,
        b_reg: float = 10.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.backbone = create_backbone(
            architecture, pretrained=pretrained, weights_file=weights_file
        )
        # ImageNet statistics on three identical channels, as the study's fastai pipeline did.
        mean = torch.tensor(IMAGENET_DEFAULT_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_DEFAULT_STD, dtype=torch.float32).view(1, 3, 1, 1)
        self.register_buffer("channel_mean", mean, persistent=False)
        self.register_buffer("channel_std", std, persistent=False)
        self._val_outputs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits ``[N, 2]`` for uint8 images ``[N, H, W]``."""
        x = images.unsqueeze(1).float().div_(255.0).expand(-1, 3, -1, -1)
        x = (x - self.channel_mean) / self.channel_std
        logits: torch.Tensor = self.backbone(x)
        return logits

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        images, labels, _weights = batch
        loss = F.cross_entropy(self(images), labels)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(labels))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        images, labels, weights = batch
        logits = self(images)
        loss = F.cross_entropy(logits, labels, reduction="none")
        score = torch.softmax(logits.float(), dim=1)[:, 1]
        self._val_outputs.append((loss.detach(), score.detach(), labels, weights))

    def on_validation_epoch_end(self) -> None:
        loss, score, labels, weights = (
            torch.cat([out[i] for out in self._val_outputs]).cpu() for i in range(4)
        )
        self._val_outputs.clear()
        scores = score.numpy().astype(np.float64)
        truth = labels.numpy()
        error = float(np.mean((scores >= 0.5) != (truth == 1)))
        # AUC is undefined with one class (possible in a sanity check on a tiny batch).
        auc = float(roc_auc_score(truth, scores)) if len(np.unique(truth)) == 2 else float("nan")
        best_ams, best_cut = max_ams(
            scores, truth, weights.numpy().astype(np.float64), b_reg=self.hparams["b_reg"]
        )
        self.log_dict(
            {
                "val_loss": float(loss.mean()),
                "val_error": error,
                "val_auc": auc,
                "val_ams_max": best_ams,
                "val_ams_max_cut": best_cut,
            }
        )

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.AdamW(
            self.parameters(),
            lr=self.hparams["learning_rate"],
            weight_decay=self.hparams["weight_decay"],
        )
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=self.hparams["learning_rate"],
            total_steps=int(self.trainer.estimated_stepping_batches),
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

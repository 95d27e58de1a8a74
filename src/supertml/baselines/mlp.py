"""Fully connected networks on the prepared tabular features: the neural-network baseline.

What a physicist would train instead of a CNN on images of the table (REFERENCE.md section 6):

- the reproduction study's comparison, a plain fully connected ReLU network of 4 hidden layers
  (Strong 2020, Mach. Learn.: Sci. Technol. 1 045006: single ReLU net about 3.38 private AMS,
  an ensemble of them 3.64);
- LUMIN-style settings from the same paper: swish activations, an ensemble of 10 members whose
  sigmoid outputs are averaged, and training on event weights normalised so that signal and
  background carry equal total weight (about 3.80 private AMS). LUMIN's dense skip connections,
  ``PRI_jet_num`` embedding and rotation/flip train- and test-time augmentation are NOT built
  here, so expect this baseline below LUMIN's number.

The network reads the same prepared (standard-scaled) splits as every other model, with
undefined values set to 0 after scaling (REFERENCE.md section 5, what the CNN inputs use), and
its predictions go through the same scoring code. Plain PyTorch on the CPU: the network is tiny
(about 30k parameters), so a GPU would mostly wait on kernel launches.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn
from torch.nn import functional

from supertml.baselines.models import BaselineFit, score_subsets
from supertml.data.preprocess import model_matrix
from supertml.errors import ConfigError
from supertml.seeding import derived_seed

__all__ = [
    "ACTIVATIONS",
    "MlpEnsemble",
    "MlpSettings",
    "build_mlp",
    "class_balanced_weights",
    "fit_mlp",
    "member_seed",
]

#: Hidden-layer activations on offer: the study's ReLU and LUMIN's swish (SiLU, x * sigmoid(x)).
ACTIVATIONS: Final[tuple[str, ...]] = ("relu", "swish")

_REQUIRED_SUBSETS: Final[tuple[str, ...]] = ("train", "val", "public", "private")
# Rows per forward pass at prediction time: bounds activation memory on 550k test events.
_PREDICT_CHUNK: Final[int] = 65_536
# fastai's fit_one_cycle shape (as supertml.training.schedule): 25 % warm-up from peak/25,
# annealing to peak/1e5. The study's and LUMIN's recipes both come from that family.
_PCT_START: Final[float] = 0.25
_DIV: Final[float] = 25.0
_FINAL_DIV: Final[float] = 1e5


@dataclass(frozen=True)
class MlpSettings:
    """Hyper-parameters of the fully connected baseline (config ``baselines.<name>``).

    ``width`` x ``depth`` hidden layers (default 100 x 4, the study's comparison network),
    ``activation`` ``"relu"`` or ``"swish"``, ``dropout`` after each hidden activation (0: none).
    Training: ``epochs`` of AdamW (``learning_rate`` is the one-cycle peak, ``weight_decay``
    AdamW's decoupled decay) over shuffled batches of ``batch_size``.
    ``ensemble_size`` members (LUMIN used 10) differ only in their seed; the score is the mean
    of their sigmoid outputs. ``class_balance``: weight the loss by the event weights rescaled
    so signal and background each carry half the total (LUMIN's choice, see
    :func:`class_balanced_weights`); otherwise every event counts once, as in the study's CNNs.

    Raises
    ------
    ConfigError
        Naming every bad field and its value.
    """

    width: int = 100
    depth: int = 4
    activation: Literal["relu", "swish"] = "relu"
    dropout: float = 0.0
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    ensemble_size: int = 1
    class_balance: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be an integer >= {low}, got {value!r}"
            for name, value, low in (
                ("width", self.width, 1),
                ("depth", self.depth, 1),
                ("epochs", self.epochs, 1),
                ("batch_size", self.batch_size, 1),
                ("ensemble_size", self.ensemble_size, 1),
                ("seed", self.seed, 0),
            )
            if isinstance(value, bool) or not isinstance(value, int) or value < low
        ]
        if self.activation not in ACTIVATIONS:
            problems.append(
                f"activation must be one of {list(ACTIVATIONS)}, got {self.activation!r}"
            )
        if not _is_number(self.dropout) or not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not _is_number(self.learning_rate) or not self.learning_rate > 0.0:
            problems.append(f"learning_rate must be positive, got {self.learning_rate!r}")
        if not _is_number(self.weight_decay) or not self.weight_decay >= 0.0:
            problems.append(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if not isinstance(self.class_balance, bool):
            problems.append(f"class_balance must be true or false, got {self.class_balance!r}")
        if problems:
            raise ConfigError("fully connected baseline settings: " + "; ".join(problems))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def build_mlp(n_features: int, settings: MlpSettings) -> nn.Sequential:
    """The network: ``depth`` x (Linear, activation[, Dropout]) then Linear to one logit.

    Hidden weights use He initialisation (He et al. 2015, arXiv:1502.01852), the usual choice
    for ReLU and close enough for swish; biases start at 0. Call under a seeded torch RNG.
    """
    layers: list[nn.Module] = []
    width_in = n_features
    for _ in range(settings.depth):
        linear = nn.Linear(width_in, settings.width)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        layers.append(nn.ReLU() if settings.activation == "relu" else nn.SiLU())
        if settings.dropout > 0.0:
            layers.append(nn.Dropout(settings.dropout))
        width_in = settings.width
    layers.append(nn.Linear(width_in, 1))
    return nn.Sequential(*layers)


def class_balanced_weights(labels: ArrayLike, weights: ArrayLike) -> NDArray[np.float64]:
    """Event weights rescaled per class so signal and background each sum to half the events.

    LUMIN's balancing (Strong 2020, appendix; REFERENCE.md section 6): signal is 0.17 % of the
    HiggsML weight, so raw weights would teach the network to ignore it, while unweighted
    training ignores the spread of weights within a class (which background processes matter
    most). Rescaling each class keeps that spread and evens the classes. The total equals the
    number of events (mean weight 1), so the loss keeps the scale of an unweighted one.

    Raises
    ------
    ValueError
        If labels and weights differ in length, or a class is absent or has no positive weight.
    """
    label_arr = np.asarray(labels)
    out = np.asarray(weights, dtype=np.float64).copy()
    if label_arr.shape != out.shape or out.ndim != 1:
        raise ValueError(
            f"labels and weights must be 1-d and of equal length, got {label_arr.shape} "
            f"and {out.shape}"
        )
    signal = label_arr == 1
    for name, mask in (("signal", signal), ("background", ~signal)):
        total = out[mask].sum()
        if not total > 0.0:
            raise ValueError(f"class balancing needs {name} events with positive weight; none")
        out[mask] *= 0.5 * out.size / total
    return out


def member_seed(seed: int, member: int) -> int:
    """Seed of ensemble member ``member``: independent streams, and member 0 of any ensemble
    equals the single network of the same seed (so ensembles extend, never reshuffle)."""
    return derived_seed(seed, member, bits=63)


@dataclass(frozen=True)
class _Tensors:
    """One subset as tensors: features [N, F], labels [N] and loss weights [N] (float32)."""

    x: torch.Tensor
    y: torch.Tensor
    w: torch.Tensor


def _tensors(frame: pd.DataFrame, features: Sequence[str], class_balance: bool) -> _Tensors:
    labels = frame["label"].to_numpy(dtype=np.float64)
    if class_balance:
        weights = class_balanced_weights(labels, frame["weight"].to_numpy(dtype=np.float64))
    else:
        weights = np.ones_like(labels)
    return _Tensors(
        x=torch.from_numpy(model_matrix(frame, features)),
        y=torch.from_numpy(labels.astype(np.float32)),
        w=torch.from_numpy(weights.astype(np.float32)),
    )


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.inference_mode():
        return torch.cat([model(chunk).squeeze(1) for chunk in torch.split(x, _PREDICT_CHUNK)])


def _weighted_bce(model: nn.Module, data: _Tensors) -> float:
    """Weighted mean binary cross-entropy: the training loss, evaluated on a whole subset."""
    losses = functional.binary_cross_entropy_with_logits(
        _logits(model, data.x), data.y, reduction="none"
    )
    return float((data.w * losses).sum() / data.w.sum())


def _train_member(
    settings: MlpSettings, seed: int, train: _Tensors, val: _Tensors
) -> tuple[nn.Module, dict[str, Any]]:
    """Train one network; return it at its best validation epoch, with its loss history."""
    # fork_rng: seeding must not disturb (or depend on) the caller's global torch RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # initial weights and dropout masks
        generator = torch.Generator().manual_seed(seed)  # batch order
        model = build_mlp(train.x.shape[1], settings)
        optimiser = torch.optim.AdamW(
            model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
        n_events = train.x.shape[0]
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimiser,
            max_lr=settings.learning_rate,
            total_steps=settings.epochs * math.ceil(n_events / settings.batch_size),
            pct_start=_PCT_START,
            div_factor=_DIV,
            final_div_factor=_FINAL_DIV,
        )
        train_losses: list[float] = []
        val_losses: list[float] = []
        best_state: dict[str, torch.Tensor] = {}
        for _ in range(settings.epochs):
            model.train()
            summed = torch.zeros(())
            order = torch.randperm(n_events, generator=generator)
            for batch in torch.split(order, settings.batch_size):
                losses = functional.binary_cross_entropy_with_logits(
                    model(train.x[batch]).squeeze(1), train.y[batch], reduction="none"
                )
                # Mean of w * loss (not normalised per batch): with mean weight 1 this is an
                # unbiased estimate of the full-set weighted loss, batch by batch.
                loss = (train.w[batch] * losses).mean()
                optimiser.zero_grad(set_to_none=True)
                torch.autograd.backward(loss)
                optimiser.step()
                scheduler.step()
                summed += loss.detach() * batch.numel()
            train_losses.append(float(summed) / n_events)
            val_losses.append(_weighted_bce(model, val))
            if val_losses[-1] < min(val_losses[:-1], default=math.inf):
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(best_state)
    best = int(np.argmin(val_losses))
    return model, {
        "seed": seed,
        "best_epoch": best + 1,
        "best_val_loss": val_losses[best],
        "train_loss": train_losses,
        "val_loss": val_losses,
    }


@dataclass(frozen=True, eq=False)
class MlpEnsemble:
    """Trained members (their weights) of one fully connected baseline, and the features they
    read: the score is the mean of the members' sigmoid outputs."""

    settings: MlpSettings
    features: tuple[str, ...]
    states: tuple[dict[str, torch.Tensor], ...]

    def score(self, prepared: pd.DataFrame) -> NDArray[np.float64]:
        """p(signal) of each row of a prepared (scaled, NaN where undefined) frame."""
        x = torch.from_numpy(model_matrix(prepared, self.features))
        summed = np.zeros(len(prepared))
        for state in self.states:
            # Building a network draws initial weights from torch's global generator: fork it
            # so that scoring leaves the caller's random state as it found it.
            with torch.random.fork_rng(devices=[]):
                model = build_mlp(len(self.features), self.settings)
            model.load_state_dict(state)
            summed += torch.sigmoid(_logits(model, x)).double().numpy()
        scores: NDArray[np.float64] = summed / len(self.states)
        return scores


def fit_mlp(
    settings: MlpSettings,
    prepared: Mapping[str, pd.DataFrame],
    features: Sequence[str],
    *,
    threads: int = 1,
) -> BaselineFit:
    """Train on ``prepared["train"]``; score ``val``, ``public`` and ``private``.

    ``prepared`` holds the prepared (standard-scaled, NaN where undefined) subsets ``train``,
    ``val``, ``public`` and ``private`` with columns ``features`` + ``label``, ``weight``,
    ``event_id``, ``subset``; NaN becomes 0, the scaled mean (REFERENCE.md section 5).

    Each of the ``ensemble_size`` members trains with AdamW under a one-cycle schedule (Smith
    2018, arXiv:1803.09820) and keeps the weights of its epoch with the lowest validation loss
    (the training loss, with the same weighting, on ``val``), as LUMIN and the study's fastai
    runs monitored validation. Choosing an epoch on ``val`` makes the validation AMS slightly
    optimistic; the public and private test scores are untouched by it. The score is the mean
    of the members' sigmoid outputs (:class:`MlpEnsemble`, returned as the fit's model).
    Deterministic for a given seed and ``threads``.

    ``threads`` sets ``torch.set_num_threads`` for the call and is restored afterwards.

    Returns the predictions frame (event_id, subset, label, weight, score), a dict of facts
    (settings, per-member seed, best epoch, best validation loss and loss history, seconds) and
    the ensemble.

    Raises
    ------
    ValueError
        If a subset is missing, ``threads`` < 1, or a class is missing from train or val.
    """
    missing = [name for name in _REQUIRED_SUBSETS if name not in prepared]
    if missing:
        raise ValueError(f"fit_mlp: prepared subsets {missing} missing")
    if threads < 1:
        raise ValueError(f"fit_mlp: threads must be >= 1, got {threads}")
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        start = time.perf_counter()
        for name in ("train", "val"):
            if prepared[name]["label"].nunique() < 2:
                raise ValueError(f"fit_mlp: subset {name!r} holds only one class")
        train = _tensors(prepared["train"], features, settings.class_balance)
        val = _tensors(prepared["val"], features, settings.class_balance)
        members: list[dict[str, Any]] = []
        states: list[dict[str, torch.Tensor]] = []
        train_seconds = 0.0
        for member in range(settings.ensemble_size):
            tick = time.perf_counter()
            model, facts = _train_member(settings, member_seed(settings.seed, member), train, val)
            train_seconds += time.perf_counter() - tick
            members.append({"member": member, **facts})
            states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        ensemble = MlpEnsemble(settings=settings, features=tuple(features), states=tuple(states))
        predictions = score_subsets(ensemble, prepared)
        total_seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous_threads)
    info = {
        "settings": asdict(settings),
        "n_features": len(features),
        "threads": threads,
        "members": members,
        "train_seconds": train_seconds,
        "total_seconds": total_seconds,
    }
    return BaselineFit(predictions=predictions, info=info, model=ensemble)

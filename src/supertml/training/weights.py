"""Pretrained ImageNet weights, fetched once on a machine with internet, read from disk after.

Compute nodes of many clusters have no internet, so training never downloads: the workflow's
``fetch_weights`` rule (a ``localrules`` entry, run on the head node) saves each pretrained
network's weights to ``resources/weights/<architecture>.safetensors`` and training reads them
from there (timm's ``pretrained_cfg_overlay`` file, which adapts the classifier exactly as a
download does). Offline, the rule fails within seconds with the file to place and how to make
it, instead of timm's minute of retries.

By hand, on any machine with internet (then copy the file to ``resources/weights/``)::

    python -m supertml.training.weights legacy_senet154 legacy_senet154.safetensors
"""

from __future__ import annotations

import argparse
import logging
import socket
import urllib.parse
import urllib.request
from pathlib import Path

import timm
import torch
from safetensors.torch import save_file
from timm.models import get_pretrained_cfg

from supertml.io import atomic_path
from supertml.training.backbone import PretrainedWeightsError

__all__ = ["fetch_pretrained_weights", "reachable", "weights_host"]

log = logging.getLogger(__name__)

_PROBE_SECONDS = 10.0


def weights_host(architecture: str) -> tuple[str, bool]:
    """The host timm downloads ``architecture``'s weights from, and whether they are already
    in the local Hugging Face or torch hub cache (then no network is needed)."""
    try:
        cfg = get_pretrained_cfg(architecture)
    except RuntimeError as exc:  # a tag timm does not know for this network
        raise PretrainedWeightsError(f"{architecture!r}: {exc}") from exc
    if cfg is None or not (cfg.hf_hub_id or cfg.url):
        raise PretrainedWeightsError(
            f"timm has no pretrained weights for {architecture!r}; set `pretrained: false` "
            "or name a `weights_file`"
        )
    if cfg.hf_hub_id:
        import huggingface_hub  # noqa: PLC0415 (timm's own dependency, needed only here)

        repo = cfg.hf_hub_id.split("@")[0]
        cached = any(
            isinstance(huggingface_hub.try_to_load_from_cache(repo, name), str)
            for name in ("model.safetensors", "pytorch_model.bin", "open_clip_pytorch_model.bin")
        )
        host = urllib.parse.urlparse(huggingface_hub.constants.ENDPOINT).netloc
        return host, cached
    url = urllib.parse.urlparse(str(cfg.url))
    cached = (Path(torch.hub.get_dir()) / "checkpoints" / Path(url.path).name).is_file()
    return url.netloc, cached


def reachable(host: str) -> str | None:
    """None if a TCP connection to ``host`` opens (or a proxy is configured), else why not."""
    if urllib.request.getproxies().get("https"):
        return None  # the proxy decides; let the download itself report
    name, _, port = host.partition(":")
    try:
        with socket.create_connection((name, int(port or 443)), timeout=_PROBE_SECONDS):
            return None
    except OSError as exc:
        return str(exc)


def fetch_pretrained_weights(architecture: str, output: str | Path) -> Path:
    """Save the ImageNet weights timm has for ``architecture`` to ``output`` (safetensors).

    Raises :class:`PretrainedWeightsError` at once, naming ``output`` and how to provide it,
    when the weights are neither cached nor reachable.
    """
    target = Path(output)
    host, cached = weights_host(architecture)
    if not cached and (problem := reachable(host)) is not None:
        raise PretrainedWeightsError(
            f"cannot fetch the pretrained weights of {architecture!r} into {target}: "
            f"{host} is not reachable from this machine ({problem}).\n"
            "On a machine with internet run\n"
            f"    python -m supertml.training.weights {architecture} {target.name}\n"
            f"and copy the file to {target}; or name an existing file in the model's "
            "`weights_file`; or set `pretrained: false` to train from scratch."
        )
    log.info("fetching %s weights from %s%s", architecture, host, " (cached)" if cached else "")
    try:
        model = timm.create_model(architecture, pretrained=True)
    except (OSError, RuntimeError, ValueError) as exc:
        raise PretrainedWeightsError(
            f"could not fetch the pretrained weights of {architecture!r} into {target}: {exc}"
        ) from exc
    state = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    with atomic_path(target) as tmp:
        save_file(state, str(tmp), metadata={"architecture": architecture, "source": host})
    log.info("wrote %s (%d tensors)", target, len(state))
    return target


def main(argv: list[str] | None = None) -> None:
    """``python -m supertml.training.weights ARCHITECTURE OUTPUT``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("architecture", help="timm model name, e.g. legacy_senet154")
    parser.add_argument("output", type=Path, help="where to write the .safetensors file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    fetch_pretrained_weights(args.architecture, args.output)


if __name__ == "__main__":
    main()

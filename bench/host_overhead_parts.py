"""Probe (not a test): which parts of the project's training step make its host overhead.

``bench/host_overhead.py``'s measurement with parts of the project switched off, one process
per variant (``--variants``, comma-joined parts per variant, ``base`` for none):

- ``nocallbacks``: the job's Trainer without its callbacks (epoch seeder, metrics writer, best
  and last checkpoints, progress bar): Lightning's dispatch of every per-step hook to each;
- ``plainloss``: an unweighted mean cross entropy and no epoch-mean bookkeeping instead of the
  loss-weighted mean and ``EpochMean`` (the recipe's loss weights, all ones by default);
- ``nosched``: no learning-rate scheduler step and no beta1 schedule per step.

The project's own ``training_step`` runs in every variant; a part is switched off by patching
the model method (or class) it calls. Switched-off parts change what is trained: these are
costs, not alternatives. Example::

    PYTHONPATH=src .venv/bin/python bench/host_overhead_parts.py \\
        --variants base nocallbacks plainloss nosched nocallbacks,plainloss,nosched base
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import host_overhead  # beside this script (on sys.path)
import torch
from torch.nn import functional as F  # noqa: N812 - the conventional alias

from supertml.training.host import EpochMean

PARTS = ("nocallbacks", "plainloss", "nosched")


def _switch_off(parts: set[str]) -> None:
    """Patch the project's pieces in ``host_overhead`` for this process."""
    if "nocallbacks" in parts:
        make_trainer = host_overhead._trainer

        def bare_trainer(*args: Any, **kwargs: Any) -> Any:
            trainer = make_trainer(*args, **kwargs)
            trainer.callbacks = [
                c for c in trainer.callbacks if isinstance(c, host_overhead.Interleave)
            ]
            return trainer

        host_overhead._trainer = bare_trainer  # type: ignore[assignment]
    if "plainloss" in parts:

        def plain_loss(self: Any, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            images, labels, _ = batch
            return F.cross_entropy(self(images), labels)

        host_overhead.ImageClassifier.training_loss = plain_loss  # type: ignore[method-assign]
        EpochMean.add = lambda self, value, n: None  # type: ignore[method-assign]
    if "nosched" in parts:
        # training_step then sets no beta1 and steps no scheduler.
        host_overhead.ImageClassifier.follow_momentum_schedule = (  # type: ignore[method-assign]
            lambda self, optimizer: None
        )
        host_overhead.ImageClassifier.lr_schedulers = lambda self: None  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", default=["base", *PARTS, ",".join(PARTS)])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process's variant
    args = parser.parse_args()
    forwarded = ["--quiet", "--steps", str(args.steps), "--rounds", str(args.rounds)]
    if args.one is not None:
        parts = set(args.one.split(",")) - {"base"}
        if parts - set(PARTS):
            raise SystemExit(f"unknown parts {sorted(parts - set(PARTS))}; choose from {PARTS}")
        _switch_off(parts)
        host_overhead.main(forwarded)
        return
    results = []
    for variant in args.variants:
        done = subprocess.run(
            [sys.executable, __file__, "--one", variant, *forwarded[1:]],
            env={**os.environ},
            check=True,
            capture_output=True,
            text=True,
        )
        line = [x for x in done.stdout.replace("\r", "\n").splitlines() if x.startswith("{")]
        project = json.loads(line[-1])["project"]
        results.append({"variant": variant, **project})
        print(variant, project["ratio"], project["ratio_quartiles"], flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

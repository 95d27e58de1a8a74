"""Multi-device training (Lightning DDP) on CPU: two processes, the way a cluster job runs it.

Lightning's DDP launcher re-runs the job's command for each further device, so the run is a
script in a subprocess (as the workflow's rule script is), not a call inside pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from supertml.training.data import EpochShuffledBatches

SCRIPT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from supertml.training import TrainSettings, train_classifier

    root = Path(sys.argv[1])
    settings = TrainSettings(
        architecture="test_resnet", epochs=2, batch_size=16, learning_rate=0.01, devices=2, seed=3
    )
    train_classifier(
        settings, train_cache=root / "train.h5", val_cache=root / "val.h5", out_dir=root / "run"
    )
    print("finished rank", os.environ.get("LOCAL_RANK", "0"))
    """
)


def test_two_process_training_writes_one_complete_run(
    caches: dict[str, Path], tmp_path: Path
) -> None:
    for subset in ("train", "val"):
        (tmp_path / f"{subset}.h5").symlink_to(caches[subset])
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "finished rank 0" in done.stdout
    assert "finished rank 1" in done.stdout  # the second process ran the same job
    run = tmp_path / "run"
    config = json.loads((run / "train_config.json").read_text())
    assert config["devices"] == 2
    metrics = pd.read_csv(run / "metrics.csv")
    assert metrics["epoch"].tolist() == [0, 1]
    assert (run / "model.ckpt").stat().st_size > 0
    assert not (run / "checkpoints").exists()


def test_ranks_take_disjoint_batches_of_the_same_shuffle() -> None:
    single = list(EpochShuffledBatches(100, 10, shuffle=True, seed=5))
    ranks = [
        list(EpochShuffledBatches(100, 10, shuffle=True, seed=5, rank=r, world_size=2))
        for r in (0, 1)
    ]
    assert len(ranks[0]) == len(ranks[1]) == 5
    interleaved = [batch for pair in zip(*ranks, strict=True) for batch in pair]
    assert all(a.tolist() == b.tolist() for a, b in zip(interleaved, single, strict=True))

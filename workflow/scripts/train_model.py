"""Rule train_model: train one (experiment, seed) on its cached images."""

from pathlib import Path

from supertml.cluster.devices import claimed_gpus
from supertml.logs import logged_step
from supertml.steps.train import train_model

# On a workstation with several GPUs each concurrent job takes its own (SLURM assigns them).
with logged_step(snakemake.log[0]), claimed_gpus(snakemake.resources.gpu):
    train_model(
        snakemake.params.experiment,
        seed=int(snakemake.wildcards.seed),
        b_reg=snakemake.params.b_reg,
        train_cache=snakemake.input.train,
        val_cache=snakemake.input.val,
        out_dir=Path(snakemake.output.checkpoint).parent,
        threads=snakemake.threads,
        # Read from the config, not a rule parameter: switching a logger retrains nothing.
        loggers=snakemake.config["loggers"],
        logger_root=Path(snakemake.output.checkpoint).parents[3] / "loggers",
    )

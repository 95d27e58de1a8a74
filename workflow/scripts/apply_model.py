"""Rule apply_model: score an application's events with a trained CNN run."""

from supertml.cluster.devices import claimed_gpus
from supertml.logs import logged_step
from supertml.steps.apply import apply_model

# On a workstation with several GPUs each concurrent job takes its own (SLURM assigns them).
with logged_step(snakemake.log[0]), claimed_gpus(snakemake.resources.gpu):
    apply_model(
        snakemake.input.model,
        snakemake.input.values,
        ordering_path=snakemake.input.ordering,
        features_path=snakemake.input.features,
        encoding=snakemake.params.encoding,
        output=snakemake.output[0],
        threads=snakemake.threads,
    )

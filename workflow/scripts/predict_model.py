"""Rule predict_model: score validation and test images with the trained checkpoint."""

from supertml.cluster.devices import claimed_gpus
from supertml.constants import SCORED_SUBSETS
from supertml.logs import logged_step
from supertml.steps.train import predict_model

# On a workstation with several GPUs each concurrent job takes its own (SLURM assigns them).
with logged_step(snakemake.log[0]), claimed_gpus(snakemake.resources.gpu):
    predict_model(
        snakemake.input.checkpoint,
        {subset: snakemake.input[subset] for subset in SCORED_SUBSETS},
        output=snakemake.output[0],
        threads=snakemake.threads,
    )

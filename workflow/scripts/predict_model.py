"""Rule predict_model: score validation and test images with the trained checkpoint."""

from supertml.logs import logged_step
from supertml.steps import SCORED_SUBSETS, predict_experiment

with logged_step(snakemake.log[0]):
    predict_experiment(
        snakemake.input.checkpoint,
        {subset: snakemake.input[subset] for subset in SCORED_SUBSETS},
        output=snakemake.output[0],
        threads=snakemake.threads,
    )

"""Rule train_baseline: fit a tabular baseline and write predictions in the common format."""

from supertml.constants import SUBSETS
from supertml.logs import logged_step
from supertml.steps.baselines import train_baseline

with logged_step(snakemake.log[0]):
    train_baseline(
        snakemake.params.baseline,
        {subset: snakemake.input[subset] for subset in SUBSETS},
        features_path=snakemake.input.features,
        seed=int(snakemake.wildcards.seed),
        output=snakemake.output.predictions,
        info_path=snakemake.output.info,
        model_path=snakemake.output.model,
        threads=snakemake.threads,
    )

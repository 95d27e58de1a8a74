"""Rule apply_baseline: score an application's events with a saved baseline model."""

from supertml.logs import logged_step
from supertml.steps.apply import apply_baseline

with logged_step(snakemake.log[0]):
    apply_baseline(
        snakemake.input.model,
        snakemake.input.values,
        output=snakemake.output[0],
        threads=snakemake.threads,
    )

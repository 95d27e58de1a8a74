"""Rule score_applied: an applied run's events and AMS at the run's validation cut."""

from supertml.logs import logged_step
from supertml.steps.apply import score_applied

with logged_step(snakemake.log[0]):
    score_applied(
        snakemake.input.predictions,
        snakemake.input.scores,
        identity=snakemake.params.identity,
        application=snakemake.params.application,
        output=snakemake.output[0],
    )

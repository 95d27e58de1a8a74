"""Rule bootstrap_analyses: bootstrap intervals of the double-luminosity values and maxima."""

from supertml.logs import logged_step
from supertml.steps.analysis import bootstrap_analyses

with logged_step(snakemake.log[0]):
    bootstrap_analyses(
        snakemake.input.predictions,
        snakemake.input.analysis,
        output=snakemake.output[0],
    )

"""Rule bootstrap_analyses: bootstrap intervals of the double-luminosity values and maxima."""

from supertml.logs import logged_step
from supertml.reporting.report import bootstrap_run

with logged_step(snakemake.log[0]):
    bootstrap_run(
        snakemake.input.predictions,
        snakemake.input.analysis,
        output=snakemake.output[0],
    )

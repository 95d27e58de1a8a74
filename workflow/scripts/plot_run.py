"""Rule plot_run: validation score distributions and AMS against the cut of one run."""

from supertml.logs import logged_step
from supertml.steps.report import plot_run

with logged_step(snakemake.log[0]):
    plot_run(
        snakemake.input.predictions,
        snakemake.input.score,
        b_reg=snakemake.params.b_reg,
        scores_output=snakemake.output.scores,
        ams_output=snakemake.output.ams,
    )

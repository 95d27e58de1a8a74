"""Rule plot_run: validation score distributions and AMS against the cut of one run."""

from supertml.logs import logged_step
from supertml.reporting.report import plot_run_figures

with logged_step(snakemake.log[0]):
    plot_run_figures(
        snakemake.input.predictions,
        snakemake.input.score,
        b_reg=snakemake.params.b_reg,
        scores_output=snakemake.output.scores,
        ams_output=snakemake.output.ams,
    )

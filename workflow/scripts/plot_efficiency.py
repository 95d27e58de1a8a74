"""Rule plot_efficiency: every run's weighted ROC curve and AMS against signal efficiency."""

from supertml.logs import logged_step
from supertml.steps.report import plot_efficiency

with logged_step(snakemake.log[0]):
    plot_efficiency(
        list(snakemake.input),
        snakemake.params.labels,
        b_reg=snakemake.params.b_reg,
        title=snakemake.params.title,
        roc_output=snakemake.output.roc,
        ams_output=snakemake.output.ams,
    )

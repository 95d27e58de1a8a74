"""Rule plot_training_curves: loss, AUC and validation AMS per epoch of every CNN run."""

from supertml.logs import logged_step
from supertml.steps.report import plot_training_curves

with logged_step(snakemake.log[0]):
    plot_training_curves(
        snakemake.params.labels,
        list(snakemake.input),
        output=snakemake.output[0],
        title=snakemake.params.title,
    )

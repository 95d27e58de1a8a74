"""Rule plot_fold_distributions: per-fold AMS of the test-size and test-optimisation analyses."""

from supertml.logs import logged_step
from supertml.steps.report import plot_fold_distributions

with logged_step(snakemake.log[0]):
    plot_fold_distributions(
        list(snakemake.input),
        output=snakemake.output[0],
        title=snakemake.params.title,
    )

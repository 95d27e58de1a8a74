"""Rule fit_table_baselines: tree baselines and their shuffled-label controls on one table."""

from supertml.logs import logged_step
from supertml.steps.tables import fit_table_baselines

with logged_step(snakemake.log[0]):
    fit_table_baselines(
        snakemake.input.train,
        snakemake.input.test,
        snakemake.input.summary,
        models=snakemake.params.models,
        seeds=snakemake.params.seeds,
        output=snakemake.output[0],
        threads=snakemake.threads,
    )

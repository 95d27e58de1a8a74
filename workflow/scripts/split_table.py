"""Rule split_table: load one small table and write its coded train and test splits."""

from supertml.logs import logged_step
from supertml.steps.tables import split_table

with logged_step(snakemake.log[0]):
    split_table(
        snakemake.params.spec,
        name=snakemake.wildcards.table,
        train_output=snakemake.output.train,
        test_output=snakemake.output.test,
        summary_output=snakemake.output.summary,
    )

"""Rule encode_table_images: a table's training and test rows as image caches, and examples."""

from supertml.logs import logged_step
from supertml.steps.tables import encode_table_images

with logged_step(snakemake.log[0]):
    encode_table_images(
        snakemake.input.train,
        snakemake.input.test,
        snakemake.input.summary,
        snakemake.params.encoding,
        train_output=snakemake.output.train,
        val_output=snakemake.output.val,
        examples_output=snakemake.output.examples,
        provenance={"table": snakemake.wildcards.table},
    )

"""Rule shuffle_table_labels: a table's training images with the seed's shuffled labels."""

from supertml.logs import logged_step
from supertml.steps.tables import shuffle_table_labels

with logged_step(snakemake.log[0]):
    shuffle_table_labels(
        snakemake.input[0],
        seed=int(snakemake.wildcards.seed),
        output=snakemake.output[0],
    )

"""Rule write_ordering: resolve a named feature ordering and save its feature list."""

from supertml.logs import logged_step
from supertml.orderings import write_ordering

with logged_step(snakemake.log[0]):
    write_ordering(snakemake.output[0], snakemake.wildcards.ordering, snakemake.params.spec)

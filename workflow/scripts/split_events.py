"""Rule split_events: read and validate the event file, write train/val/public/private."""

from supertml.constants import SUBSETS
from supertml.logs import logged_step
from supertml.steps.data import split_events

with logged_step(snakemake.log[0]):
    split_events(
        snakemake.input[0],
        snakemake.params.split,
        dataset=snakemake.params.dataset,
        outputs={subset: snakemake.output[subset] for subset in SUBSETS},
        summary_path=snakemake.output.summary,
    )

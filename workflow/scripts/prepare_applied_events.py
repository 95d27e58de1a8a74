"""Rule prepare_applied_events: applied events through a preset's fitted preprocessing."""

from supertml.logs import logged_step
from supertml.steps.apply import prepare_applied_events

with logged_step(snakemake.log[0]):
    prepare_applied_events(
        snakemake.input.events,
        snakemake.input.features,
        scaled_output=snakemake.output.scaled,
        physical_output=snakemake.output.physical,
    )

"""Rule read_applied_events: read and validate an application's events file."""

from supertml.logs import logged_step
from supertml.steps.apply import read_applied_events

with logged_step(snakemake.log[0]):
    read_applied_events(
        snakemake.input[0],
        output=snakemake.output.events,
        summary_path=snakemake.output.summary,
    )

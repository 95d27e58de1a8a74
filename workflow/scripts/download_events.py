"""Rule download_events: fetch the event file named in the config (resumable, checked)."""

from supertml.logs import logged_step
from supertml.steps.data import download_events

with logged_step(snakemake.log[0]):
    download_events(snakemake.params.url, snakemake.output[0], events=snakemake.params.events)

"""Rule download_events: fetch the event file named in the config (resumable, checked)."""

from supertml.data.download import download_file
from supertml.logs import logged_step

with logged_step(snakemake.log[0]):
    download_file(snakemake.params.url, snakemake.output[0], expected_rows=snakemake.params.events)

"""Rule summarise_tables: paper vs study vs this run on every small table."""

from supertml.logs import logged_step
from supertml.steps.tables import summarise_tables

with logged_step(snakemake.log[0]):
    summarise_tables(
        snakemake.params.references,
        summaries=dict(zip(snakemake.params.tables, snakemake.input.summaries, strict=True)),
        accuracies=snakemake.input.accuracies,
        baselines=snakemake.input.baselines,
        csv_output=snakemake.output.csv,
        markdown_output=snakemake.output.markdown,
    )

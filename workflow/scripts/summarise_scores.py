"""Rule summarise_scores: the summary table over every (experiment, seed)."""

from supertml.logs import logged_step
from supertml.steps.evaluate import summarise_scores

with logged_step(snakemake.log[0]):
    summarise_scores(
        snakemake.input.scores,
        snakemake.input.splits,
        csv_path=snakemake.output.csv,
        markdown_path=snakemake.output.markdown,
    )

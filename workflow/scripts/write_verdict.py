"""Rule write_verdict: claim vs study vs this run, the analyses and the bootstrap tables."""

from supertml.logs import logged_step
from supertml.steps.report import write_verdict

with logged_step(snakemake.log[0]):
    write_verdict(
        snakemake.input.scores,
        snakemake.input.analyses,
        snakemake.input.intervals,
        snakemake.input.splits,
        dataset=snakemake.params.dataset,
        markdown_path=snakemake.output.markdown,
        html_path=snakemake.output.html,
        verdict_csv=snakemake.output.verdict,
        analyses_csv=snakemake.output.analyses,
        intervals_csv=snakemake.output.intervals,
        study_rows=snakemake.params.study_rows,
        conditions=snakemake.params.conditions,
        record_paths=snakemake.input.records,
        applied_paths=snakemake.input.applied,
    )

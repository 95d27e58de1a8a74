"""Rule write_submission: an applied run's Kaggle submission (EventId,RankOrder,Class)."""

from supertml.logs import logged_step
from supertml.steps.apply import write_submission

with logged_step(snakemake.log[0]):
    write_submission(
        snakemake.input.predictions,
        snakemake.input.scores,
        output=snakemake.output[0],
    )

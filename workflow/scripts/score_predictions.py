"""Rule score_predictions: validation cut and public/private AMS of one run."""

from supertml.logs import logged_step
from supertml.steps.evaluate import score_predictions

with logged_step(snakemake.log[0]):
    score_predictions(
        snakemake.input[0],
        snakemake.params.scoring,
        identity=snakemake.params.identity,
        output=snakemake.output[0],
    )

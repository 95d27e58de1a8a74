"""Rule analyse_predictions: test-size, test-set optimisation, double luminosity, bootstrap."""

from supertml.logs import logged_step
from supertml.steps.analysis import analyse_predictions

with logged_step(snakemake.log[0]):
    analyse_predictions(
        snakemake.input[0],
        snakemake.params.scoring,
        snakemake.params.analysis,
        identity=snakemake.params.identity,
        output=snakemake.output[0],
    )

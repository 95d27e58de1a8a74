"""Rule order_features: resolve a named feature ordering on the prepared training split."""

from supertml.logs import logged_step
from supertml.steps.images import order_features

with logged_step(snakemake.log[0]):
    order_features(
        snakemake.params.spec,
        name=snakemake.wildcards.ordering,
        train_path=snakemake.input.train,
        features_path=snakemake.input.features,
        output=snakemake.output[0],
    )

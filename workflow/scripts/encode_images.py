"""Rule encode_images: encode one prepared subset as images into its HDF5 cache."""

from supertml.logs import logged_step
from supertml.steps.images import encode_images

with logged_step(snakemake.log[0]):
    encode_images(
        snakemake.input["values"],
        snakemake.input.ordering,
        snakemake.input.features,
        snakemake.params.encoding,
        output=snakemake.output[0],
        provenance={
            "preprocessing": snakemake.wildcards.preprocessing,
            "encoding_name": snakemake.wildcards.encoding,
            "ordering_name": snakemake.wildcards.ordering,
            "source": snakemake.input["values"],
        },
    )

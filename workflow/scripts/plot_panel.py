"""Rule plot_panel: example signal and background images with the feature map."""

from supertml.logs import logged_step
from supertml.steps.images import plot_panel

with logged_step(snakemake.log[0]):
    plot_panel(
        snakemake.input[0],
        snakemake.params.encoding,
        output=snakemake.output[0],
        title=(
            f"{snakemake.wildcards.encoding} / {snakemake.wildcards.ordering} "
            f"({snakemake.wildcards.preprocessing})"
        ),
    )

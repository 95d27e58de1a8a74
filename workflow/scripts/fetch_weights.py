"""Rule fetch_weights: save one network's pretrained ImageNet weights under resources/."""

from supertml.logs import logged_step
from supertml.steps.train import fetch_weights

with logged_step(snakemake.log[0]):
    fetch_weights(snakemake.wildcards.architecture, snakemake.output[0])

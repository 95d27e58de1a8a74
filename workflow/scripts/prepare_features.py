"""Rule prepare_features: fit the preprocessing on train, apply it to every subset."""

import json
from pathlib import Path

from supertml.constants import SUBSETS
from supertml.logs import logged_step
from supertml.steps.data import prepare_features

with logged_step(snakemake.log[0]):
    split_summary = json.loads(Path(snakemake.input.summary).read_text())
    prepare_features(
        {subset: snakemake.input[subset] for subset in SUBSETS},
        snakemake.params.preset,
        preset_name=snakemake.wildcards.preprocessing,
        weight_scheme=split_summary["weight_scheme"],
        scaled_outputs={subset: snakemake.output[subset] for subset in SUBSETS},
        physical_outputs={subset: snakemake.output[f"physical_{subset}"] for subset in SUBSETS},
        features_path=snakemake.output.features,
    )

# Configuration checks, wildcard constraints and input helpers shared by all rules.
import re

import supertml
from supertml.config import validate_config
from supertml.constants import SUBSETS

# Fill defaults and reject unknown keys or dangling names before any rule is built; the library
# function is the same one the tests exercise (schema: src/supertml/schemas/config.schema.yaml).
config.update(validate_config(config, source="config"))

DATASET = config["dataset"]["name"]
RESULTS = f"results/{DATASET}"
EXPERIMENTS = config["experiments"]
BASELINES = config["baselines"]
# Library version in params: a new release that changes outputs reruns what it produced.
LIBRARY_VERSION = supertml.__version__


def _alternatives(names):
    # An empty alternation would match the empty string; "(?!)" matches nothing.
    return "|".join(re.escape(name) for name in names) or "(?!)"


wildcard_constraints:
    dataset=re.escape(DATASET),
    subset=_alternatives(SUBSETS),
    seed=r"\d+",
    preprocessing=_alternatives(config["preprocessing"]),
    ordering=_alternatives(config["orderings"]),
    encoding=_alternatives(config["encodings"]),
    experiment=_alternatives(list(EXPERIMENTS) + list(BASELINES)),


CNN_EXPERIMENT = _alternatives(EXPERIMENTS)
BASELINE_EXPERIMENT = _alternatives(BASELINES)


def get_final_output():
    panels = sorted(
        {
            f"{RESULTS}/panels/{e['preprocessing']}/{e['encoding']}/{e['ordering']}.png"
            for e in EXPERIMENTS.values()
        }
    )
    return [f"{RESULTS}/summary.md", f"{RESULTS}/summary.csv", *panels]


def get_score_files():
    runs = list(EXPERIMENTS) + list(BASELINES)
    return expand(
        "{results}/scores/{experiment}/seed_{seed}.json",
        results=RESULTS,
        experiment=runs,
        seed=config["seeds"],
    )


def get_preprocessing(wildcards):
    return config["preprocessing"][wildcards.preprocessing]


def get_ordering(wildcards):
    return config["orderings"][wildcards.ordering]


def get_encoding(wildcards):
    return config["encodings"][wildcards.encoding]


def get_encoder_input(wildcards):
    """Pixel encodings read scaled features; text encodings print the physical values."""
    prepared = f"{RESULTS}/prepared/{wildcards.preprocessing}"
    if config["encodings"][wildcards.encoding]["kind"] == "text":
        return f"{prepared}/physical/{wildcards.subset}.parquet"
    return f"{prepared}/{wildcards.subset}.parquet"


def get_experiment(wildcards):
    """The experiment with every name it uses resolved to its config entry."""
    experiment = EXPERIMENTS[wildcards.experiment]
    return {
        "name": wildcards.experiment,
        "preprocessing": experiment["preprocessing"],
        "ordering": experiment["ordering"],
        "encoding": config["encodings"][experiment["encoding"]],
        "model": config["models"][experiment["model"]],
        "recipe": config["recipes"][experiment["recipe"]],
    }


def get_baseline(wildcards):
    return BASELINES[wildcards.experiment]


def _image_dir(experiment_name):
    experiment = EXPERIMENTS[experiment_name]
    return (
        f"{RESULTS}/images/{experiment['preprocessing']}/"
        f"{experiment['encoding']}/{experiment['ordering']}"
    )


def get_training_images(wildcards):
    image_dir = _image_dir(wildcards.experiment)
    return {"train": f"{image_dir}/train.h5", "val": f"{image_dir}/val.h5"}


def get_scored_images(wildcards):
    image_dir = _image_dir(wildcards.experiment)
    return {
        subset: f"{image_dir}/{subset}.h5" for subset in ("val", "public", "private")
    }


def get_baseline_inputs(wildcards):
    prepared = f"{RESULTS}/prepared/{BASELINES[wildcards.experiment]['preprocessing']}"
    return {
        **{subset: f"{prepared}/{subset}.parquet" for subset in SUBSETS},
        "features": f"{prepared}/features.json",
    }


def get_identity(wildcards):
    """What a score row says about the run it came from (for the summary table)."""
    name = wildcards.experiment
    if name in BASELINES:
        return {
            "experiment": name,
            "kind": BASELINES[name]["kind"],
            "seed": int(wildcards.seed),
            "encoding": "-",
            "model": BASELINES[name]["kind"],
            "recipe": "-",
        }
    experiment = EXPERIMENTS[name]
    return {
        "experiment": name,
        "kind": "cnn",
        "seed": int(wildcards.seed),
        "encoding": f"{experiment['encoding']}/{experiment['ordering']}",
        "model": config["models"][experiment["model"]]["architecture"],
        "recipe": experiment["recipe"],
    }

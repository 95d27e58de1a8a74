# Configuration checks, wildcard constraints and input helpers shared by all rules.
#
# Resources: a CPU rule's mem_mb and runtime are about twice the peak memory and at least five
# times the wall time its jobs took on the full 818,238-event data set on 2 cores (the
# rehearsal, bench/RESULTS.md) - the largest input this workflow reads. GPU rules size theirs
# from their images and network (supertml.cluster.requests); every retry asks for more.
import re

import supertml
from supertml.cluster import requests
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
# Pretrained weights, shared by every data set: fetched once, read by every training job.
WEIGHTS = "resources/weights"
FETCHED_ARCHITECTURES = sorted(
    {
        model["architecture"]
        for model in config["models"].values()
        if model["pretrained"] and not model["weights_file"]
    }
)


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
    return [
        f"{RESULTS}/summary.md",
        f"{RESULTS}/summary.csv",
        *get_analysis_files(),
        *panels,
        *get_report_files(),
        *get_table_outputs(),
    ]


def get_report_files():
    """Everything `snakemake --report` shows besides the summary and the panels."""
    runs = list(EXPERIMENTS) + list(BASELINES)
    figures = expand(
        "{results}/figures/{experiment}/seed_{seed}/{figure}.png",
        results=RESULTS,
        experiment=runs,
        seed=config["seeds"],
        figure=["score_distributions", "ams_vs_cut"],
    )
    # Baselines write no per-epoch metrics: no CNN experiment, no training curves.
    curves = [f"{RESULTS}/figures/training_curves.png"] if EXPERIMENTS else []
    verdict = [
        f"{RESULTS}/{name}" for name in ("verdict.md", "verdict.html", "verdict.csv")
    ]
    tables = [f"{RESULTS}/analyses.csv", f"{RESULTS}/intervals.csv"]
    return [
        *figures,
        *curves,
        f"{RESULTS}/figures/fold_distributions.png",
        *verdict,
        *tables,
    ]


def get_interval_files():
    runs = list(EXPERIMENTS) + list(BASELINES)
    return expand(
        "{results}/intervals/{experiment}/seed_{seed}.json",
        results=RESULTS,
        experiment=runs,
        seed=config["seeds"],
    )


def get_metrics_files():
    """metrics.csv of every CNN run, in the order of get_metrics_labels()."""
    return [
        f"{RESULTS}/runs/{experiment}/seed_{seed}/metrics.csv"
        for experiment in EXPERIMENTS
        for seed in config["seeds"]
    ]


def get_metrics_labels():
    return [
        f"{experiment}/seed_{seed}"
        for experiment in EXPERIMENTS
        for seed in config["seeds"]
    ]


def get_fold_title():
    folds = config["analysis"]["n_folds"]
    pooled = (
        f", pooled over {len(config['seeds'])} seeds"
        if len(config["seeds"]) > 1
        else ""
    )
    return f"{DATASET}: AMS per test fold ({folds} folds{pooled})"


def get_analysis_files():
    runs = list(EXPERIMENTS) + list(BASELINES)
    return expand(
        "{results}/analyses/{experiment}/seed_{seed}.json",
        results=RESULTS,
        experiment=runs,
        seed=config["seeds"],
    )


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


def _model(name):
    """A model entry; pretrained without a weights_file reads what fetch_weights saved."""
    model = config["models"][name]
    if model["pretrained"] and not model["weights_file"]:
        return {
            **model,
            "weights_file": f"{WEIGHTS}/{model['architecture']}.safetensors",
        }
    return model


def get_experiment(wildcards):
    """The experiment with every name it uses resolved to its config entry."""
    experiment = EXPERIMENTS[wildcards.experiment]
    return {
        "name": wildcards.experiment,
        "preprocessing": experiment["preprocessing"],
        "ordering": experiment["ordering"],
        "encoding": config["encodings"][experiment["encoding"]],
        "model": _model(experiment["model"]),
        "recipe": config["recipes"][experiment["recipe"]],
    }


def get_training_weights(wildcards):
    """The fetched weights file a pretrained experiment starts from (none otherwise)."""
    model = _model(EXPERIMENTS[wildcards.experiment]["model"])
    return [model["weights_file"]] if model["pretrained"] else []


def get_training_gpus(wildcards):
    """GPUs of one training job: the recipe's DDP devices (SLURM's --gpus)."""
    return config["recipes"][EXPERIMENTS[wildcards.experiment]["recipe"]]["devices"]


# Requests that depend on the images: Snakemake evaluates them once the caches exist (a dry
# run shows <TBD>), and again with a higher attempt for a retry.
def get_training_mem_mb(wildcards, input, attempt):
    return requests.training_memory_mb(input.train, input.val, attempt)


def get_training_runtime(wildcards, input, attempt):
    return requests.training_runtime_minutes(
        get_experiment(wildcards), input.train, input.val, attempt
    )


def get_prediction_mem_mb(wildcards, attempt):
    return requests.prediction_memory_mb(attempt)


def get_prediction_runtime(wildcards, input, attempt):
    caches = [input[subset] for subset in get_scored_images(wildcards)]
    return requests.prediction_runtime_minutes(
        get_experiment(wildcards), caches, attempt
    )


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


# The paper's small tables (workflow/rules/tables.smk).
from supertml.tables.summary import reference_of

TABLES = config["tables"]


wildcard_constraints:
    table=_alternatives(TABLES),
    variant="cnn|cnn_shuffled",


def get_table_seeds(table):
    return TABLES[table]["seeds"] or config["seeds"]


def get_table_spec(wildcards):
    return TABLES[wildcards.table]["spec"]


def get_table_files(wildcards):
    """The CSV files a table is read from (none for the scikit-learn data sets)."""
    spec = TABLES[wildcards.table]["spec"]
    return [spec[key] for key in ("path", "test_path") if spec.get(key)]


def get_table_encoding(wildcards):
    return config["encodings"][TABLES[wildcards.table]["encoding"]]


def get_table_model(wildcards):
    return config["models"][TABLES[wildcards.table]["model"]]


def get_table_recipe(wildcards):
    return config["recipes"][TABLES[wildcards.table]["recipe"]]


def get_table_baseline_models(wildcards):
    return TABLES[wildcards.table]["baselines"]


def get_table_baseline_seeds(wildcards):
    return get_table_seeds(wildcards.table)


def get_table_training_images(wildcards):
    """The true training images, or their copy with the seed's shuffled labels."""
    images = f"{RESULTS}/tables/{wildcards.table}/images"
    if wildcards.variant == "cnn_shuffled":
        return f"{images}/train_shuffled/seed_{wildcards.seed}.h5"
    return f"{images}/train.h5"


def get_table_accuracy_files(wildcards):
    files = []
    for table, entry in TABLES.items():
        variants = ["cnn", "cnn_shuffled"] if entry["shuffled_control"] else ["cnn"]
        files += expand(
            "{results}/tables/{table}/{variant}/seed_{seed}/accuracy.json",
            results=RESULTS,
            table=table,
            variant=variants,
            seed=get_table_seeds(table),
        )
    return files


def get_table_summary_inputs(wildcards):
    return {
        "summaries": [f"{RESULTS}/tables/{table}/split.json" for table in TABLES],
        "baselines": [f"{RESULTS}/tables/{table}/baselines.json" for table in TABLES],
        "accuracies": get_table_accuracy_files(wildcards),
    }


def get_table_references():
    """Per table, the published numbers it is compared with (REFERENCE.md section 5)."""
    return {table: reference_of(entry) for table, entry in TABLES.items()}


def get_table_outputs():
    if not TABLES:
        return []
    return [
        f"{RESULTS}/tables_summary.md",
        f"{RESULTS}/tables_summary.csv",
        *[f"{RESULTS}/tables/{table}/images/examples.png" for table in TABLES],
    ]

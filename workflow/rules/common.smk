# Configuration checks, wildcard constraints and the input helpers of every rule. The logic
# behind the helpers is supertml.grid.Grid (tested there); these only pass the wildcards on.
#
# Resources: a CPU rule's mem_mb and runtime are about twice the peak memory and at least five
# times the wall time its jobs took on the full 818,238-event data set on 2 cores (the
# rehearsal, bench/RESULTS.md) - the largest input this workflow reads. GPU rules size theirs
# from their images and network (supertml.cluster.requests); every retry asks for more.
import re
import sys
from pathlib import Path

from supertml import preflight, session
from supertml.cluster import requests
from supertml.config import validate_config
from supertml.constants import SUBSETS
from supertml.errors import ConfigError
from supertml.grid import TABLE_VARIANTS, WEIGHTS_DIR, Grid
from supertml.provenance import step_version
from supertml.tables.summary import reference_of

# Messages name the config file(s) the user gave, and the keys --config set on top of them.
CONFIG_SOURCE = preflight.config_source(
    workflow.configfiles, workflow.config_settings.config
)

# Fill defaults and reject unknown keys or dangling names before any rule is built; the library
# function is the same one the tests exercise (schema: src/supertml/schemas/config.schema.yaml).
# sys.exit prints the message alone: the problem, not a traceback into this file.
try:
    config.update(validate_config(config, source=CONFIG_SOURCE))
except ConfigError as exc:
    sys.exit(f"supertml: {exc}")

GRID = Grid(config)
DATASET = GRID.dataset
RESULTS = GRID.results
WEIGHTS = WEIGHTS_DIR
# Every rule's params carry step_version(rule): a hash of the code its step runs, so a library
# change reruns the jobs whose code changed, and only those (supertml.provenance).

# Before any job (and in dry runs), in the Snakemake process the user started - not again in
# each job's: locks a killed run left, what the config refers to and whether the data set is
# large enough for it, image caches truncated since they were written. Each stops the run
# here with the file, the key and the remedy (supertml.preflight, supertml.session).
if workflow.is_main_process:
    if (note := session.stale_locks(Path.cwd())) is not None:
        print(note, file=sys.stderr)
    preflight.enforce(
        preflight.preflight(config, cache_dir=preflight.names_cache_dir()),
        CONFIG_SOURCE,
    )
    preflight.enforce(
        preflight.cache_problems(RESULTS), CONFIG_SOURCE, heading="broken image caches"
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
    experiment=_alternatives(GRID.runs),
    table=_alternatives(GRID.tables),
    variant=_alternatives(TABLE_VARIANTS),
    application=_alternatives(GRID.applications),


CNN_EXPERIMENT = _alternatives(GRID.experiments)
BASELINE_EXPERIMENT = _alternatives(GRID.baselines)
FETCHED_ARCHITECTURE = _alternatives(GRID.fetched_architectures())


# -- config entries of a job's wildcards ----------------------------------------------------


def get_preprocessing(wildcards):
    return config["preprocessing"][wildcards.preprocessing]


def get_ordering(wildcards):
    return config["orderings"][wildcards.ordering]


def get_encoding(wildcards):
    return config["encodings"][wildcards.encoding]


def get_experiment(wildcards):
    return GRID.experiment(wildcards.experiment)


def get_baseline(wildcards):
    return GRID.baseline(wildcards.experiment)


def get_identity(wildcards):
    return GRID.identity(wildcards.experiment, int(wildcards.seed))


def get_scoring(wildcards):
    return GRID.scoring(wildcards.experiment)


# -- input files ------------------------------------------------------------------------------


def get_encoder_input(wildcards):
    return GRID.encoder_input(
        wildcards.preprocessing, wildcards.encoding, wildcards.subset
    )


def get_training_images(wildcards):
    return GRID.training_images(wildcards.experiment)


def get_training_weights(wildcards):
    return GRID.training_weights(wildcards.experiment)


def get_scored_images(wildcards):
    return GRID.scored_images(wildcards.experiment)


def get_baseline_inputs(wildcards):
    return GRID.baseline_inputs(wildcards.experiment)


def get_applied_source(wildcards):
    return GRID.applied_source(wildcards.application)


def get_applied_inputs(wildcards):
    return GRID.applied_inputs(
        wildcards.application, wildcards.experiment, int(wildcards.seed)
    )


def get_run_encoding(wildcards):
    return GRID.experiment(wildcards.experiment)["encoding"]


def get_application(wildcards):
    return GRID.application(wildcards.application)


# -- GPU jobs' requests: once the caches exist (a dry run shows <TBD>), larger on a retry -----


def get_training_gpus(wildcards):
    return GRID.training_gpus(wildcards.experiment)


def get_training_mem_mb(wildcards, input, attempt):
    return requests.training_memory_mb(input.train, input.val, attempt)


def get_training_runtime(wildcards, input, attempt):
    experiment = GRID.experiment(wildcards.experiment)
    return requests.training_runtime_minutes(
        experiment, input.train, input.val, attempt
    )


def get_prediction_mem_mb(wildcards, attempt):
    return requests.prediction_memory_mb(attempt)


def get_prediction_runtime(wildcards, input, attempt):
    caches = [input[subset] for subset in GRID.scored_images(wildcards.experiment)]
    experiment = GRID.experiment(wildcards.experiment)
    return requests.prediction_runtime_minutes(experiment, caches, attempt)


# -- the paper's small tables (workflow/rules/tables.smk) -------------------------------------


def get_table_spec(wildcards):
    return GRID.tables[wildcards.table]["spec"]


def get_table_baseline_models(wildcards):
    return GRID.tables[wildcards.table]["baselines"]


def get_table_files(wildcards):
    return GRID.table_files(wildcards.table)


def get_table_encoding(wildcards):
    return config["encodings"][GRID.tables[wildcards.table]["encoding"]]


def get_table_model(wildcards):
    return config["models"][GRID.tables[wildcards.table]["model"]]


def get_table_recipe(wildcards):
    return config["recipes"][GRID.tables[wildcards.table]["recipe"]]


def get_table_seeds(wildcards):
    return GRID.table_seeds(wildcards.table)


def get_table_training_images(wildcards):
    return GRID.table_training_images(
        wildcards.table, wildcards.variant, int(wildcards.seed)
    )


def get_table_references():
    """Per table, the published numbers it is compared with (REFERENCE.md section 5)."""
    return {table: reference_of(entry) for table, entry in GRID.tables.items()}

"""The grid of a validated config: its runs, where their files lie, every name resolved.

What the workflow's rules ask of their config, in one tested place (``common.smk`` only wraps
these methods into Snakemake input functions). Vocabulary, as in paths and pages:

- a **run** is one (experiment, seed): a CNN ``experiment`` or a tabular ``baseline``, both
  scored the same way and written under their name;
- a **subset** is one of train / val / public / private; the **splits** are the files of the
  subsets; the **summary** is ``summary.csv`` / ``.md`` (one row per run);
- a **table** is one of the paper's small data sets (Iris, Wine, a CSV file).

Paths follow the grammar at the top of the Snakefile; every per-run file is
``<folder>/<experiment>/seed_<seed>.<ext>`` (:meth:`Grid.run_files`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from supertml.constants import SCORED_SUBSETS, SUBSETS

__all__ = ["IMAGE_KIND", "TABLE_VARIANTS", "TEST_SPLIT", "WEIGHTS_DIR", "Grid"]

#: Where pretrained weights are fetched to, shared by every data set.
WEIGHTS_DIR: Final[str] = "resources/weights"

#: The ``kind`` every CNN experiment's records carry (baselines carry their own kind).
IMAGE_KIND: Final[str] = "cnn"

#: ``apply.<name>.events`` naming this data set's own test events (written without labels).
TEST_SPLIT: Final[str] = "test_split"

#: The CNN runs of a small table: on its true labels, and the shuffled-label control.
TABLE_VARIANTS: Final[Mapping[str, bool]] = {"cnn": False, "cnn_shuffled": True}


class Grid:
    """The runs and files of one validated config (see the module docstring)."""

    def __init__(self, config: Mapping[str, Any], *, weights_dir: str = WEIGHTS_DIR) -> None:
        self.config = config
        self.weights_dir = weights_dir
        self.dataset: str = config["dataset"]["name"]
        self.results = f"results/{self.dataset}"
        self.experiments: Mapping[str, Any] = config["experiments"]
        self.baselines: Mapping[str, Any] = config["baselines"]
        self.tables: Mapping[str, Any] = config["tables"]
        self.seeds: list[int] = list(config["seeds"])
        self.applications: Mapping[str, Any] = config.get("apply") or {}

    # -- runs and their files ----------------------------------------------------------------

    @property
    def runs(self) -> list[str]:
        """Every run name: the CNN experiments, then the baselines."""
        return [*self.experiments, *self.baselines]

    def run_files(self, folder: str, suffix: str = ".json", *, cnn_only: bool = False) -> list[str]:
        """``<results>/<folder>/<run>/seed_<seed><suffix>`` of every run and seed, runs in
        :attr:`runs` order, seeds in config order."""
        names = list(self.experiments) if cnn_only else self.runs
        return [
            f"{self.results}/{folder}/{name}/seed_{seed}{suffix}"
            for name in names
            for seed in self.seeds
        ]

    def run_labels(self, *, cnn_only: bool = False) -> list[str]:
        """``<run>/seed_<seed>`` in the order of :meth:`run_files`."""
        names = list(self.experiments) if cnn_only else self.runs
        return [f"{name}/seed_{seed}" for name in names for seed in self.seeds]

    def record_files(self) -> list[str]:
        """Each run's training record (``train_config.json`` of a CNN, ``baseline_info.json``
        of a baseline), with its provenance, in :meth:`run_files` order."""
        return [
            f"{self.results}/runs/{name}/seed_{seed}/"
            + ("train_config.json" if name in self.experiments else "baseline_info.json")
            for name in self.runs
            for seed in self.seeds
        ]

    def prediction_files(self) -> list[str]:
        """``predictions.parquet`` of every run, in the order of :meth:`run_labels`."""
        return self.run_files("runs", "/predictions.parquet")

    def metrics_files(self) -> list[str]:
        """``metrics.csv`` of every CNN run, in the order of ``run_labels(cnn_only=True)``."""
        return self.run_files("runs", "/metrics.csv", cnn_only=True)

    def figure_files(self) -> list[str]:
        """The per-run figures of every run."""
        return [
            f"{self.results}/figures/{name}/seed_{seed}/{figure}.png"
            for name in self.runs
            for seed in self.seeds
            for figure in ("score_distributions", "ams_vs_cut")
        ]

    def panel_files(self) -> list[str]:
        """One example panel per (preprocessing, encoding, ordering) an experiment uses."""
        return sorted(
            {
                f"{self.results}/panels/{e['preprocessing']}/{e['encoding']}/{e['ordering']}.png"
                for e in self.experiments.values()
            }
        )

    def report_files(self) -> list[str]:
        """Everything ``snakemake --report`` shows besides the summary and the panels."""
        # Baselines write no per-epoch metrics: no CNN experiment, no training curves.
        curves = [f"{self.results}/figures/training_curves.png"] if self.experiments else []
        pages = ("verdict.md", "verdict.html", "verdict.csv", "analyses.csv", "intervals.csv")
        return [
            *self.figure_files(),
            *curves,
            f"{self.results}/figures/roc.png",
            f"{self.results}/figures/ams_vs_efficiency.png",
            f"{self.results}/figures/fold_distributions.png",
            *(f"{self.results}/{name}" for name in pages),
        ]

    def final_files(self) -> list[str]:
        """What ``rule all`` asks for."""
        return [
            f"{self.results}/summary.md",
            f"{self.results}/summary.csv",
            *self.run_files("analyses"),
            *self.panel_files(),
            *self.report_files(),
            *self.table_outputs(),
            *self.applied_files(),
        ]

    def fold_title(self) -> str:
        """Title of the per-fold figure."""
        folds = self.config["analysis"]["n_folds"]
        pooled = f", pooled over {len(self.seeds)} seeds" if len(self.seeds) > 1 else ""
        return f"{self.dataset}: AMS per test fold ({folds} folds{pooled})"

    # -- experiments ---------------------------------------------------------------------------

    def model(self, name: str) -> dict[str, Any]:
        """A model entry; pretrained without a ``weights_file`` reads what fetch_weights saved."""
        model = dict(self.config["models"][name])
        if model["pretrained"] and not model["weights_file"]:
            model["weights_file"] = f"{self.weights_dir}/{model['architecture']}.safetensors"
        return model

    def fetched_architectures(self) -> list[str]:
        """Architectures whose pretrained weights the workflow fetches itself."""
        return sorted(
            {
                model["architecture"]
                for model in self.config["models"].values()
                if model["pretrained"] and not model["weights_file"]
            }
        )

    def experiment(self, name: str) -> dict[str, Any]:
        """An experiment with every name it uses resolved to its config entry."""
        entry = self.experiments[name]
        return {
            "name": name,
            "preprocessing": entry["preprocessing"],
            "ordering": entry["ordering"],
            "encoding": self.config["encodings"][entry["encoding"]],
            "model": self.model(entry["model"]),
            "recipe": self.config["recipes"][entry["recipe"]],
        }

    def baseline(self, name: str) -> dict[str, Any]:
        """A baseline's training settings: its entry without the cut settings, which only
        scoring reads (changing them must not refit the baseline)."""
        return {key: value for key, value in self.baselines[name].items() if key != "scoring"}

    def scoring(self, name: str) -> dict[str, Any]:
        """The cut settings of one run: the top-level ``scoring``, with the run's own
        ``scoring`` entries (``top_perc``, ``min_pred``) over it."""
        entry = self.experiments[name] if name in self.experiments else self.baselines[name]
        return {**self.config["scoring"], **(entry.get("scoring") or {})}

    def training_weights(self, name: str) -> list[str]:
        """The weights file a pretrained experiment starts from (none otherwise)."""
        model = self.model(self.experiments[name]["model"])
        return [model["weights_file"]] if model["pretrained"] else []

    def training_gpus(self, name: str) -> int:
        """GPUs of one training job: the recipe's DDP devices."""
        return int(self.config["recipes"][self.experiments[name]["recipe"]]["devices"])

    def image_dir(self, name: str) -> str:
        """The folder of the image caches an experiment reads."""
        entry = self.experiments[name]
        return (
            f"{self.results}/images/{entry['preprocessing']}/"
            f"{entry['encoding']}/{entry['ordering']}"
        )

    def training_images(self, name: str) -> dict[str, str]:
        images = self.image_dir(name)
        return {"train": f"{images}/train.h5", "val": f"{images}/val.h5"}

    def scored_images(self, name: str) -> dict[str, str]:
        images = self.image_dir(name)
        return {subset: f"{images}/{subset}.h5" for subset in SCORED_SUBSETS}

    def reads_physical(self, encoding: str) -> bool:
        """Whether an encoding reads physical values (text prints them) rather than the scaled
        features (pixels)."""
        return bool(self.config["encodings"][encoding]["kind"] == "text")

    def encoder_input(self, preprocessing: str, encoding: str, subset: str) -> str:
        """The prepared split an encoding reads (:meth:`reads_physical`)."""
        prepared = f"{self.results}/prepared/{preprocessing}"
        if self.reads_physical(encoding):
            return f"{prepared}/physical/{subset}.parquet"
        return f"{prepared}/{subset}.parquet"

    def baseline_inputs(self, name: str) -> dict[str, str]:
        prepared = f"{self.results}/prepared/{self.baselines[name]['preprocessing']}"
        return {
            **{subset: f"{prepared}/{subset}.parquet" for subset in SUBSETS},
            "features": f"{prepared}/features.json",
        }

    def identity(self, name: str, seed: int) -> dict[str, Any]:
        """What a run's score record says about the run (for the summary table)."""
        if name in self.baselines:
            kind = self.baselines[name]["kind"]
            return {"experiment": name, "kind": kind, "seed": seed, "encoding": "-",
                    "model": kind, "recipe": "-"}  # fmt: skip
        entry = self.experiments[name]
        return {
            "experiment": name,
            "kind": IMAGE_KIND,
            "seed": seed,
            "encoding": f"{entry['encoding']}/{entry['ordering']}",
            "model": self.config["models"][entry["model"]]["architecture"],
            "recipe": entry["recipe"],
        }

    # -- runs applied to other events (apply.smk) -----------------------------------------

    def applied_dir(self, application: str) -> str:
        """Where an application's files lie."""
        return f"{self.results}/applied/{application}"

    def application(self, name: str) -> dict[str, Any]:
        """An application's config entry with its name (what its scores record)."""
        return {"name": name, **self.applications[name]}

    def applied_runs(self, application: str) -> list[tuple[str, int]]:
        """(run, seed) of every run an application applies, every seed, in config order."""
        runs = self.applications[application]["runs"]
        return [(name, seed) for name in runs for seed in self.seeds]

    def applied_score_files(self) -> list[str]:
        """The scores JSON of every applied run and seed, applications in config order."""
        return [path for path in self.applied_files() if path.endswith(".json")]

    def applied_files(self) -> list[str]:
        """Every application's scores and submission of each of its runs and seeds."""
        return [
            f"{self.applied_dir(application)}/{folder}/{name}/seed_{seed}{suffix}"
            for application in self.applications
            for name, seed in self.applied_runs(application)
            for folder, suffix in (("scores", ".json"), ("submissions", ".csv"))
        ]

    def applied_source(self, application: str) -> str:
        """The events file an application reads: its ``events`` path, or for
        :data:`TEST_SPLIT` the test events that ``export_test_split`` writes."""
        events: str = self.applications[application]["events"]
        if events == TEST_SPLIT:
            return f"{self.results}/applied/{TEST_SPLIT}.csv.gz"
        return events

    def run_preprocessing(self, name: str) -> str:
        """The preprocessing preset of a run (experiment or baseline)."""
        entry = self.experiments[name] if name in self.experiments else self.baselines[name]
        return str(entry["preprocessing"])

    def applied_inputs(self, application: str, name: str, seed: int) -> dict[str, str]:
        """What applying run ``name`` (seed ``seed``) to an application reads: the prepared
        events it reads (``values``), its preset's record (``features``) and its trained
        model; a CNN also its ordering."""
        preprocessing = self.run_preprocessing(name)
        prepared = f"{self.applied_dir(application)}/prepared/{preprocessing}"
        run = f"{self.results}/runs/{name}/seed_{seed}"
        inputs = {"features": f"{self.results}/prepared/{preprocessing}/features.json"}
        if name in self.baselines:
            return {
                **inputs,
                "values": f"{prepared}/scaled.parquet",
                "model": f"{run}/model.joblib",
            }
        entry = self.experiments[name]
        values = "physical" if self.reads_physical(entry["encoding"]) else "scaled"
        return {
            **inputs,
            "values": f"{prepared}/{values}.parquet",
            "model": f"{run}/model.ckpt",
            "ordering": f"{self.results}/orderings/{preprocessing}/{entry['ordering']}.json",
        }

    def conditions_table(self) -> str | None:
        """The study's conditions beside ours for every experiment with a study row
        (:func:`supertml.conditions.conditions_markdown`), or None if none names one."""
        from supertml.conditions import conditions_markdown  # noqa: PLC0415 (import cycle)

        return conditions_markdown(self.config) if self.study_rows() else None

    def study_rows(self) -> dict[str, str]:
        """The study row each experiment that names one reproduces."""
        return {
            name: str(entry["study_row"])
            for name, entry in self.experiments.items()
            if entry.get("study_row") is not None
        }

    # -- the small tables ----------------------------------------------------------------------

    def table_seeds(self, table: str) -> list[int]:
        return list(self.tables[table]["seeds"] or self.seeds)

    def table_files(self, table: str) -> list[str]:
        """The CSV files a table is read from (none for the scikit-learn data sets)."""
        spec = self.tables[table]["spec"]
        return [spec[key] for key in ("path", "test_path") if spec.get(key)]

    def table_training_images(self, table: str, variant: str, seed: int) -> str:
        """The true training images, or their copy with the seed's shuffled labels."""
        images = f"{self.results}/tables/{table}/images"
        if TABLE_VARIANTS[variant]:
            return f"{images}/train_shuffled/seed_{seed}.h5"
        return f"{images}/train.h5"

    def table_accuracy_files(self) -> list[str]:
        files = []
        for table, entry in self.tables.items():
            variants = [v for v, shuffled in TABLE_VARIANTS.items()
                        if entry["shuffled_control"] or not shuffled]  # fmt: skip
            files += [
                f"{self.results}/tables/{table}/{variant}/seed_{seed}/accuracy.json"
                for variant in variants
                for seed in self.table_seeds(table)
            ]
        return files

    def per_table(self, filename: str) -> list[str]:
        """``<results>/tables/<table>/<filename>`` of every table."""
        return [f"{self.results}/tables/{table}/{filename}" for table in self.tables]

    def table_outputs(self) -> list[str]:
        if not self.tables:
            return []
        return [
            f"{self.results}/tables_summary.md",
            f"{self.results}/tables_summary.csv",
            *[f"{self.results}/tables/{table}/images/examples.png" for table in self.tables],
        ]

"""Checks of a config that can be made before any job runs, so nothing fails in the queue.

One topic, hence one module of about 500 lines: every check the workflow makes at its start,
with the one message format (config file, key, what to change) they share.

The schema (:mod:`supertml.config`) checks the config's shape; this checks what it refers to:
that every timm network exists (with its pretrained tag), fonts open, fixed orderings are
permutations of their features, weights files exist, the event file exists or can be
downloaded, every applied events file exists with a challenge header, the training loggers
asked for are installed, and the data set holds enough events for every setting - from counts
of two columns, not the data (1.3 s for the 818,238-event file). Each problem names the config file,
the key and what to change.

The workflow runs :func:`preflight` when its Snakefile is read in the main Snakemake process
(dry runs included) and :func:`weights_preflight` just before the first job (``onstart``: not
in dry runs, as it probes the network), and stops on any error before a job starts; warnings
are printed and the run goes on.

The minimums it enforces are stated in :mod:`supertml.minimums` (and the README, "Too few
events").
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import math
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TextIO

import pandas as pd

from supertml.constants import FEATURES, KAGGLE_SET_SIZES, SCORED_SUBSETS, SUBSETS
from supertml.data.hep import DATA_FIX_FEATURES
from supertml.errors import DataValidationError
from supertml.io import atomic_path
from supertml.loggers import missing_packages
from supertml.minimums import EVENTS_PER_FOLD, MEANINGFUL_EVENTS, MIN_CLASS_EVENTS

__all__ = [
    "PreflightFailed",
    "Problem",
    "cache_problems",
    "config_source",
    "enforce",
    "expected_subsets",
    "names_cache_dir",
    "preflight",
    "weights_preflight",
]

Counts = dict[str, dict[str, int]]  # subset -> {"s": n, "b": n} (or {"?": n}: class unknown)
FileCounts = dict[tuple[str, str], int]  # (KaggleSet, Label) -> events

#: Events per (KaggleSet, Label) of CERN Open Data record 328 (REFERENCE.md section 2) as far as
#: they are known before the download: the training set's classes (34.27 % signal), the test
#: sets only in total, so a file still to be downloaded is checked on the settings using totals.
_OPEN_DATA_COUNTS: Final[FileCounts] = {
    ("t", "s"): 85_667,
    ("t", "b"): KAGGLE_SET_SIZES["t"] - 85_667,
    ("b", "?"): KAGGLE_SET_SIZES["b"],
    ("v", "?"): KAGGLE_SET_SIZES["v"],
}
_CLASS_NAMES: Final[dict[str, str]] = {"s": "signal", "b": "background"}


@dataclass(frozen=True)
class Problem:
    """One finding: ``key`` is the config key to change, ``message`` says what and how."""

    level: Literal["error", "warning"]
    key: str
    message: str

    def describe(self, source: str) -> str:
        """The line shown: ``source: key: message`` (a problem of a file, not of a config key,
        has ``key`` "" and names its file in the message)."""
        return f"{source}: {self.key}: {self.message}" if self.key else self.message


class PreflightFailed(SystemExit):
    """The config cannot run; the message lists every error. A SystemExit, so that Snakemake
    prints the message alone, without a traceback, and exits with status 1."""


def config_source(config_files: Sequence[str | Path], overrides: Mapping[str, Any]) -> str:
    """How messages name the config: its files, and the keys ``--config`` set on top."""

    def shown(path: str | Path) -> str:
        with contextlib.suppress(ValueError):  # outside the working directory: as given
            return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
        return str(path)

    files = ", ".join(shown(path) for path in config_files) or "the config"
    if overrides:
        files += f" (with --config {', '.join(sorted(overrides))})"
    return files


def enforce(
    problems: Iterable[Problem],
    source: str,
    *,
    heading: str = "the config cannot run",
    stream: TextIO | None = None,
) -> None:
    """Print the warnings to ``stream`` (stderr); raise :class:`PreflightFailed` on errors."""
    found = list(problems)
    out = sys.stderr if stream is None else stream
    for problem in found:
        if problem.level == "warning":
            out.write(f"supertml warning: {problem.describe(source)}\n")
    errors = [problem.describe(source) for problem in found if problem.level == "error"]
    if errors:
        plural = "s" if len(errors) > 1 else ""
        raise PreflightFailed(
            f"supertml: {heading} ({len(errors)} problem{plural}; no job was started):\n"
            + "\n".join(f"  {line}" for line in errors)
        )


# -- the event file ---------------------------------------------------------------------------


def _plausible(frame: pd.DataFrame) -> bool:
    """Whether the two columns hold only their codes: a row with a field too many or too few
    shifts them, and then only the full reader can say where."""
    ok = frame["Label"].isin(("s", "b")).all()
    if "KaggleSet" in frame:
        ok = ok and frame["KaggleSet"].isin(("t", "b", "v", "u")).all()
    return bool(ok)


def _file_counts(path: Path) -> FileCounts | Problem:
    """Events per (KaggleSet, Label) of an event file (``{}``: Kaggle's test.csv, no labels);
    a Problem with the reader's message (file, line, column) if it cannot be read."""
    from supertml.data.reader import read_events, read_layout  # noqa: PLC0415 (pandas)

    try:
        layout = read_layout(path)
        if layout == "kaggle_test":
            return {}
        with path.open("rb") as handle:  # sniffed as the reader does: a renamed file reads
            compression = "gzip" if handle.read(2) == b"\x1f\x8b" else None
        columns = ["KaggleSet", "Label"] if layout == "opendata" else ["Label"]
        with warnings.catch_warnings():
            # pandas only warns when the first row has a field too many (as for the reader).
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path, usecols=columns, dtype=str, compression=compression, index_col=False
            )
        if not _plausible(frame):
            raise ValueError("misaligned rows")
    except DataValidationError as exc:
        return Problem("error", "dataset.path", str(exc))
    except (OSError, EOFError, ValueError, UnicodeDecodeError, pd.errors.ParserWarning):
        # Unreadable past the header: the full reader finds the line (an error path only).
        try:
            read_events(path)
        except DataValidationError as exc:
            return Problem("error", "dataset.path", str(exc))
        raise
    if "KaggleSet" not in frame:
        frame["KaggleSet"] = "t"  # Kaggle training.csv: training events only
    counts = frame.value_counts(["KaggleSet", "Label"], dropna=False)
    return {(str(kaggle), str(label)): int(n) for (kaggle, label), n in counts.items()}


def expected_subsets(file_counts: FileCounts, split: Mapping[str, Any]) -> Counts:
    """Events per subset and label that the split will make of a file with these counts, to
    a few events (the split rounds each of its three stratified shares). Label ``?`` counts
    events whose class is not known yet (a file still to be downloaded)."""

    def of_set(kaggle: str) -> dict[str, int]:
        return {lab: n for (k, lab), n in file_counts.items() if k == kaggle}

    def share(counts: Mapping[str, int], fraction: float) -> dict[str, int]:
        return {lab: math.floor(n * fraction) for lab, n in counts.items()}

    def minus(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
        return {lab: a[lab] - b.get(lab, 0) for lab in a}

    rest = of_set("t")
    out: Counts = {}
    if of_set("b") or of_set("v"):
        out["public"], out["private"] = of_set("b"), of_set("v")
    else:
        test = share(rest, split["pseudo_test_fraction"])
        rest = minus(rest, test)
        out["public"] = share(test, split["public_fraction"])
        out["private"] = minus(test, out["public"])
    out["val"] = share(rest, split["validation_fraction"])
    out["train"] = minus(rest, out["val"])
    return {subset: out[subset] for subset in SUBSETS}


def _class_problems(path: str, counts: Counts) -> Iterator[Problem]:
    for subset in SUBSETS:
        if "?" in counts[subset]:
            continue
        for label in ("s", "b"):
            n = counts[subset].get(label, 0)
            if n < MIN_CLASS_EVENTS:
                yield Problem(
                    "error", "dataset.path",
                    f"{path} gives about {n} {_CLASS_NAMES[label]} events in the {subset} "
                    f"subset, fewer than the {MIN_CLASS_EVENTS} every subset needs of each "
                    "class: use a larger event file (or change the split.* fractions)",
                )  # fmt: skip


def _top_percs(config: Mapping[str, Any]) -> Iterator[tuple[str, float]]:
    """Every top_perc a run is scored with, by the config key that sets it."""
    yield "scoring.top_perc", float(config["scoring"]["top_perc"])
    for section in ("experiments", "baselines"):
        for name, entry in config.get(section, {}).items():
            own = (entry.get("scoring") or {}).get("top_perc")
            if own is not None:
                yield f"{section}.{name}.scoring.top_perc", float(own)


def _setting_problems(config: Mapping[str, Any], path: str, counts: Counts) -> Iterator[Problem]:
    n_val = sum(counts["val"].values())
    for key, top_perc in _top_percs(config):
        if n_val * top_perc / 100.0 < 1.0:
            yield Problem(
                "error", key,
                f"the top {top_perc:g} % of the about {n_val} validation events of {path} holds "
                f"no event, so no cut can be chosen: raise {key} to at least "
                f"{100.0 / max(n_val, 1):.3g}, or use a larger event file",
            )  # fmt: skip
    n_folds = int(config["analysis"]["n_folds"])
    for subset in ("public", "private"):
        n = sum(counts[subset].values())
        if n < EVENTS_PER_FOLD * n_folds:
            most = n // EVENTS_PER_FOLD
            fewer = f"lower analysis.n_folds to {most} or " if most >= 2 else ""  # 2 folds least
            yield Problem(
                "error", "analysis.n_folds",
                f"the {subset} test subset of {path} holds about {n} events, fewer than "
                f"{EVENTS_PER_FOLD} per fold of the {n_folds} folds of the analyses: {fewer}use "
                "a larger event file",
            )  # fmt: skip
    small = [f"{subset} about {sum(counts[subset].values())}" for subset in SCORED_SUBSETS
             if sum(counts[subset].values()) < MEANINGFUL_EVENTS]  # fmt: skip
    if small:
        yield Problem(
            "warning", "dataset.path",
            f"{path} gives subsets of fewer than {MEANINGFUL_EVENTS:,} events "
            f"({', '.join(small)}): their AMS values will be dominated by a handful of events "
            "(the summary says so too)",
        )  # fmt: skip


def _event_counts(dataset: Mapping[str, Any]) -> FileCounts | Problem | None:
    """The file's events per (KaggleSet, Label); a Problem if it cannot be used; None if it
    cannot be known before its download (a file that is not the Open Data one)."""
    path = Path(dataset["path"])
    if path.is_file():
        return _file_counts(path)
    if path.exists():
        return Problem("error", "dataset.path", f"{path} is not a file")
    if not dataset["url"]:
        return Problem(
            "error", "dataset.path",
            f"{path} does not exist and dataset.url is not set: copy the event file there, "
            "or set dataset.url to download it",
        )  # fmt: skip
    if dataset["events"] == sum(KAGGLE_SET_SIZES.values()):
        return dict(_OPEN_DATA_COUNTS)
    return None  # an unknown file to be downloaded: the split checks it after the download


def _data_problems(config: Mapping[str, Any]) -> Iterator[Problem]:
    path = config["dataset"]["path"]
    file_counts = _event_counts(config["dataset"])
    if file_counts is None:
        return
    if isinstance(file_counts, Problem):
        yield file_counts
        return
    if not file_counts:
        yield Problem(
            "error", "dataset.path",
            f"{path} is Kaggle's test.csv layout (no Label, no Weight): it cannot be split and "
            "scored; use the Open Data file or Kaggle training.csv",
        )  # fmt: skip
        return
    for label in ("b", "s"):
        if not file_counts.get(("t", label)):
            yield Problem(
                "error", "dataset.path",
                f"{path} has no `Label {label}` rows ({_CLASS_NAMES[label]}) among its "
                "training events: training and the AMS need signal and background events",
            )  # fmt: skip
            return
    counts = expected_subsets(file_counts, config["split"])
    class_problems = list(_class_problems(path, counts))
    yield from class_problems
    if not class_problems:
        yield from _setting_problems(config, path, counts)


def _apply_problems(config: Mapping[str, Any]) -> Iterator[Problem]:
    """Each application's events file exists and has a challenge header (its rows are checked
    when it is read, in its job); ``test_split`` is written by the workflow."""
    from supertml.data.reader import read_layout  # noqa: PLC0415 (pandas)
    from supertml.grid import TEST_SPLIT  # noqa: PLC0415

    for name, application in (config.get("apply") or {}).items():
        events = application["events"]
        if events == TEST_SPLIT:
            continue
        path, key = Path(events), f"apply.{name}.events"
        if not path.is_file():
            yield Problem(
                "error", key,
                f"{path} is not a file: give a challenge events file (Open Data, Kaggle "
                f"training.csv or test.csv), or {TEST_SPLIT} for this data set's test events",
            )  # fmt: skip
            continue
        try:
            read_layout(path)
        except DataValidationError as exc:
            yield Problem("error", key, str(exc))


def _logger_problems(config: Mapping[str, Any]) -> Iterator[Problem]:
    """A training logger switched on without its package."""
    for name, distribution in missing_packages(config.get("loggers") or {}).items():
        yield Problem(
            "error", f"loggers.{name}",
            f"{distribution} is not installed: pip install {distribution} (or '.[loggers]'), "
            "or switch the logger off",
        )  # fmt: skip


# -- networks, weights, fonts, orderings ------------------------------------------------------


def _timm_names(cache_dir: Path | None) -> tuple[frozenset[str], frozenset[str]]:
    """timm's architectures and its pretrained ``architecture.tag`` names, cached per timm
    version under ``cache_dir`` (importing timm, and with it torch, takes 3 s)."""
    version = importlib.metadata.version("timm")
    cache = None if cache_dir is None else cache_dir / f"timm-{version}-names.txt"
    if cache is not None and cache.is_file():
        listed, _, tagged = cache.read_text().partition("\n--\n")
        return frozenset(listed.split()), frozenset(tagged.split())
    import timm  # noqa: PLC0415 (see the docstring)

    models, pretrained = timm.list_models(), timm.list_pretrained()
    if cache is not None:
        with contextlib.suppress(OSError), atomic_path(cache) as tmp:  # read-only home: no cache
            tmp.write_text("\n".join(models) + "\n--\n" + "\n".join(pretrained))
    return frozenset(models), frozenset(pretrained)


def names_cache_dir() -> Path:
    """Where the workflow keeps timm's model names: the user's cache directory
    (``$XDG_CACHE_HOME/supertml``, else ``~/.cache/supertml``), shared by every working
    directory; the names of one timm version never change."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "supertml"


def _used_models(config: Mapping[str, Any]) -> list[str]:
    """Names of the models an experiment or a table trains, in config order."""
    used = [entry["model"] for section in ("experiments", "tables")
            for entry in config[section].values()]  # fmt: skip
    return list(dict.fromkeys(used))


def _model_problems(config: Mapping[str, Any], cache_dir: Path | None) -> Iterator[Problem]:
    used = _used_models(config)
    if not used:
        return
    models, pretrained = _timm_names(cache_dir)
    version = importlib.metadata.version("timm")
    for name in used:
        model = config["models"][name]
        arch = model["architecture"]
        base, _, tag = arch.partition(".")
        if base not in models:
            yield Problem(
                "error", f"models.{name}.architecture",
                f"timm {version} has no network {base!r}; "
                f"`python -c 'import timm; print(timm.list_models(\"{base[:4]}*\"))'` lists "
                "similar names",
            )  # fmt: skip
        elif tag and model["pretrained"] and arch not in pretrained:
            yield Problem(
                "error", f"models.{name}.architecture",
                f"timm {version} has no pretrained weights tagged {tag!r} for {base!r}; "
                f"`python -c 'import timm; print(timm.list_pretrained(\"{base}*\"))'` lists them",
            )  # fmt: skip
        elif (
            model["pretrained"]
            and model["weights_file"]
            and not Path(model["weights_file"]).is_file()
        ):
            yield Problem(
                "error", f"models.{name}.weights_file",
                f"{model['weights_file']} does not exist: copy the weights file there, or set "
                "weights_file: null to have the fetch_weights rule fetch timm's",
            )  # fmt: skip


def weights_preflight(config: Mapping[str, Any], weights_dir: str | Path) -> list[Problem]:
    """The pretrained networks whose weights the ``fetch_weights`` rule would have to fetch
    and cannot: not in ``weights_dir``, not in timm's download cache, and the host timm fetches
    them from is not reachable from this machine (the one Snakemake runs on, where that rule
    runs). Probes the network, so the workflow calls it only before a real run."""
    problems = []
    for name in _used_models(config):
        model = config["models"][name]
        if not model["pretrained"] or model["weights_file"]:
            continue
        arch = model["architecture"]
        target = Path(weights_dir) / f"{arch}.safetensors"
        if target.is_file():
            continue
        from supertml.training.weights import reachable, weights_host  # noqa: PLC0415 (torch)

        host, cached = weights_host(arch)
        if not cached and (why := reachable(host)) is not None:
            problems.append(Problem(
                "error", f"models.{name}.pretrained",
                f"the ImageNet weights of {arch!r} are not in {target} and {host} is not "
                f"reachable from here ({why}): on a machine with internet run `python -m "
                f"supertml.training.weights {arch} {target.name}` and copy the file to "
                f"{target}; or set models.{name}.weights_file to a copy; or set pretrained: "
                "false to train from scratch",
            ))  # fmt: skip
    return problems


def _encoding_problems(config: Mapping[str, Any]) -> Iterator[Problem]:
    fonts = [(name, entry) for name, entry in config["encodings"].items()
             if entry["kind"] == "text" and entry.get("font_path")]  # fmt: skip
    if not fonts:
        return
    from PIL import ImageFont  # noqa: PLC0415 (only configs that name fonts need it)

    for name, entry in fonts:
        try:
            ImageFont.truetype(entry["font_path"], int(entry["font_size"]))
        except OSError as exc:
            yield Problem(
                "error", f"encodings.{name}.font_path",
                f"cannot open {entry['font_path']} as a TrueType font ({exc}): give a .ttf "
                "file, or null for the bundled FreeMonoBold",
            )  # fmt: skip


def _ordering_problems(config: Mapping[str, Any]) -> Iterator[Problem]:
    seen = set()
    for entry in config["experiments"].values():
        key = (entry["ordering"], entry["preprocessing"])
        ordering = config["orderings"][entry["ordering"]]
        if ordering["kind"] != "fixed" or key in seen:
            continue
        seen.add(key)
        fixed = bool(config["preprocessing"][entry["preprocessing"]].get("data_fix"))
        features = DATA_FIX_FEATURES if fixed else FEATURES
        listed = [str(name) for name in ordering["features"] or []]
        unknown = [name for name in listed if name not in features]
        absent = [name for name in features if name not in listed]
        repeated = sorted({name for name in listed if listed.count(name) > 1})
        if unknown or absent or repeated:
            yield Problem(
                "error", f"orderings.{entry['ordering']}.features",
                f"not a permutation of the {len(features)} features of preprocessing "
                f"{entry['preprocessing']!r} (data_fix: {str(fixed).lower()}): unknown "
                f"{unknown}, missing {absent}, repeated {repeated}",
            )  # fmt: skip


def preflight(config: Mapping[str, Any], *, cache_dir: Path | None = None) -> list[Problem]:
    """Every problem of a validated ``config`` that can be known before a job runs without the
    network, errors first. ``cache_dir``: where timm's model names are kept between runs."""
    problems = [
        *_data_problems(config),
        *_apply_problems(config),
        *_logger_problems(config),
        *_encoding_problems(config),
        *_ordering_problems(config),
        *_model_problems(config, cache_dir),
    ]
    return sorted(problems, key=lambda p: p.level != "error")


def cache_problems(results_dir: str | Path) -> list[Problem]:
    """The image caches under ``results_dir`` that are truncated or unfinished, checked
    without reading their images (:func:`supertml.encoding.cache.check_image_cache`)."""
    caches = sorted(Path(results_dir).rglob("*.h5"))
    if not caches:
        return []
    from supertml.encoding.cache import check_image_cache  # noqa: PLC0415 (h5py)

    return [Problem("error", "", str(problem)) for path in caches
            if (problem := check_image_cache(path)) is not None]  # fmt: skip

"""The preflight: each problem a config can have before any job, with its key and remedy."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from supertml.config import load_config, validate_config
from supertml.constants import FEATURES
from supertml.data.hep import DATA_FIX_FEATURES
from supertml.data.reader import read_events
from supertml.data.splits import SplitConfig, split_events
from supertml.encoding import write_image_cache
from supertml.errors import ConfigError
from supertml.minimums import MIN_CLASS_EVENTS, small_subsets, small_subsets_note
from supertml.preflight import (
    PreflightFailed,
    Problem,
    cache_problems,
    config_source,
    enforce,
    expected_subsets,
    names_cache_dir,
    preflight,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz"


def config_with(**sections: Any) -> dict[str, Any]:
    """The default config with some sections replaced, validated (defaults filled)."""
    raw = load_config(REPO / "config/config.yaml")
    raw["dataset"]["path"] = str(SAMPLE)
    for name, value in sections.items():
        raw[name] = value
    return validate_config(raw)


def errors(config: dict[str, Any], tmp_path: Path) -> list[Problem]:
    return [p for p in preflight(config, cache_dir=tmp_path / "cache") if p.level == "error"]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_the_shipped_default_config_passes_with_one_warning(tmp_path: Path) -> None:
    problems = preflight(config_with(), cache_dir=tmp_path)
    warning = only(problems)
    assert warning.level == "warning"
    assert warning.key == "dataset.path"
    assert "(val about 960, public about 581)" in warning.message


def test_the_full_study_config_passes_before_its_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # resources/ of the full data is not there: it is downloaded
    config = load_config(REPO / "config/higgsml.yaml")
    assert preflight(config, cache_dir=tmp_path) == []


def test_expected_subsets_match_the_split_to_a_few_events() -> None:
    config = config_with()
    table = read_events(SAMPLE)
    splits = split_events(table, SplitConfig(**config["split"]))
    labels = table.frame["label"].map({1: "s", 0: "b"})
    counts = {("t", label): int(n) for label, n in labels.value_counts().items()}
    expected = expected_subsets(counts, config["split"])
    for subset, frame in splits.frames.items():
        actual = {"s": int(frame["label"].sum()), "b": int((frame["label"] == 0).sum())}
        for label in ("s", "b"):
            assert abs(expected[subset][label] - actual[label]) <= 3, (subset, label)


def test_an_unknown_architecture_names_the_key_and_how_to_list_names(tmp_path: Path) -> None:
    config = config_with()
    config["models"]["resnet18_scratch"]["architecture"] = "resnet18x"
    problem = only(errors(config, tmp_path))
    assert problem.key == "models.resnet18_scratch.architecture"
    assert "has no network 'resnet18x'" in problem.message
    assert "timm.list_models" in problem.message


def test_an_unknown_pretrained_tag_is_an_error_but_a_known_one_is_not(tmp_path: Path) -> None:
    config = config_with()
    model = config["models"]["resnet18_scratch"]
    model.update(architecture="resnet34.nope_in1k", pretrained=True)
    assert "no pretrained weights tagged 'nope_in1k'" in only(errors(config, tmp_path)).message
    model["architecture"] = "resnet34.tv_in1k"  # the study's ResNet34 weights
    assert errors(config, tmp_path) == []


def test_timm_names_are_read_from_the_cache_once_written(tmp_path: Path) -> None:
    config = config_with()
    errors(config, tmp_path)
    (cache,) = (tmp_path / "cache").glob("timm-*-names.txt")
    assert "resnet18" in cache.read_text().split()
    cache.write_text("only_this_one\n--\n")  # the cache answers, not timm
    config["models"]["resnet18_scratch"]["architecture"] = "only_this_one"
    assert errors(config, tmp_path) == []


def test_a_missing_weights_file_is_named(tmp_path: Path) -> None:
    config = config_with()
    config["models"]["resnet18_scratch"].update(
        pretrained=True, weights_file=str(tmp_path / "resnet18.safetensors")
    )
    problem = only(errors(config, tmp_path))
    assert problem.key == "models.resnet18_scratch.weights_file"
    assert f"{tmp_path / 'resnet18.safetensors'} does not exist" in problem.message


def test_a_font_that_does_not_open_is_named(tmp_path: Path) -> None:
    config = config_with()
    config["encodings"]["text64_table"]["font_path"] = str(tmp_path / "Arial.ttf")
    problem = only(errors(config, tmp_path))
    assert problem.key == "encodings.text64_table.font_path"
    assert "cannot open" in problem.message
    assert "bundled FreeMonoBold" in problem.message


def test_a_fixed_ordering_must_permute_its_presets_features(tmp_path: Path) -> None:
    features = list(FEATURES)
    config = config_with()
    config["orderings"]["mine"] = {"kind": "fixed", "features": features[:-1]}
    config["experiments"]["pixels56_resnet18"]["ordering"] = "mine"
    problem = only(errors(config, tmp_path))
    assert problem.key == "orderings.mine.features"
    assert f"missing {[features[-1]]}" in problem.message
    config["orderings"]["mine"]["features"] = list(DATA_FIX_FEATURES)  # not without data_fix
    assert "unknown" in only(errors(config, tmp_path)).message
    config["orderings"]["mine"]["features"] = features[::-1]
    assert errors(config, tmp_path) == []


def write_events(path: Path, per_label: dict[str, int]) -> Path:
    lines = read_lines()
    header, events = lines[0], lines[1:]
    label = header.split(",").index("Label")
    chosen = [line for code, n in per_label.items()
              for line in [e for e in events if e.split(",")[label] == code][:n]]  # fmt: skip
    path.write_text("\n".join([header, *chosen]) + "\n")
    return path


def read_lines() -> list[str]:
    import gzip  # noqa: PLC0415

    with gzip.open(SAMPLE, "rt") as handle:
        return handle.read().splitlines()


@pytest.mark.parametrize(
    ("per_label", "key", "text"),
    [
        ({"s": 20, "b": 20}, "dataset.path", f"fewer than the {MIN_CLASS_EVENTS} every subset"),
        ({"s": 100, "b": 100}, "analysis.n_folds", "lower analysis.n_folds to 7 or use"),
        ({"s": 3000}, "dataset.path", "has no `Label b` rows (background)"),
        ({"b": 3000}, "dataset.path", "has no `Label s` rows (signal)"),
    ],
)
def test_too_few_events_stop_with_file_and_setting(
    tmp_path: Path, per_label: dict[str, int], key: str, text: str
) -> None:
    events = write_events(tmp_path / "events.csv", per_label)
    config = config_with()
    config["dataset"]["path"] = str(events)
    found = errors(config, tmp_path)
    assert found, "expected an error"
    assert {p.key for p in found} == {key}
    assert any(text in p.message and str(events) in p.message for p in found), found


def test_a_top_perc_that_selects_no_validation_event_is_an_error(tmp_path: Path) -> None:
    config = config_with()
    config["scoring"]["top_perc"] = 0.05  # 0.05 % of ~960 events: none
    problem = only(errors(config, tmp_path))
    assert problem.key == "scoring.top_perc"
    assert "raise scoring.top_perc to at least 0.104" in problem.message


def test_a_runs_own_top_perc_is_checked_under_its_own_key(tmp_path: Path) -> None:
    config = config_with()
    name = next(iter(config["experiments"]))
    config["experiments"][name]["scoring"] = {"top_perc": 0.05}
    problem = only(errors(config, tmp_path))
    assert problem.key == f"experiments.{name}.scoring.top_perc"
    assert f"raise experiments.{name}.scoring.top_perc to at least 0.104" in problem.message


def test_missing_file_without_url_and_kaggle_test_layout(tmp_path: Path) -> None:
    config = config_with()
    config["dataset"]["path"] = str(tmp_path / "absent.csv")
    problem = only(errors(config, tmp_path))
    assert "does not exist and dataset.url is not set" in problem.message
    header = read_lines()[0].split(",")
    kept = [i for i, name in enumerate(header)
            if name not in ("Weight", "Label", "KaggleSet", "KaggleWeight")]  # fmt: skip
    test_csv = tmp_path / "test.csv"
    test_csv.write_text(
        "\n".join(",".join(line.split(",")[i] for i in kept) for line in read_lines()[:50])
    )
    config["dataset"]["path"] = str(test_csv)
    assert "Kaggle's test.csv layout" in only(errors(config, tmp_path)).message


def test_an_unreadable_file_gets_the_readers_message_with_its_line(tmp_path: Path) -> None:
    lines = read_lines()
    lines[2] = lines[2].replace(",b,t,", ",x,t,")  # a label that is neither s nor b, line 3
    events = tmp_path / "broken.csv"
    events.write_text("\n".join(lines) + "\n")
    config = config_with()
    config["dataset"]["path"] = str(events)
    problem = only(errors(config, tmp_path))
    assert problem.message.startswith(f"{events}, line 3, column 'Label': expected 's' or 'b'")
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(SAMPLE.read_bytes()[:50_000])
    config["dataset"]["path"] = str(truncated)
    assert "cannot read as a CSV text file" in only(errors(config, tmp_path)).message


def test_enforce_prints_warnings_and_stops_on_errors_listing_all() -> None:
    stream = io.StringIO()
    warning = Problem("warning", "dataset.path", "few events")
    enforce([warning], "config/config.yaml", stream=stream)
    assert stream.getvalue() == "supertml warning: config/config.yaml: dataset.path: few events\n"
    problems = [Problem("error", "a.b", "one"), Problem("error", "c", "two"), warning]
    with pytest.raises(PreflightFailed) as caught:
        enforce(problems, "my.yaml", stream=io.StringIO())
    assert caught.value.code == (
        "supertml: the config cannot run (2 problems; no job was started):\n"
        "  my.yaml: a.b: one\n  my.yaml: c: two"
    )
    assert isinstance(caught.value, SystemExit)  # Snakemake prints it alone and exits 1


def test_config_source_names_files_relative_to_the_working_directory_and_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_source([tmp_path / "config" / "study.yaml"], {}) == "config/study.yaml"
    assert config_source(["/elsewhere/a.yaml"], {"seeds": [1]}) == (
        "/elsewhere/a.yaml (with --config seeds)"
    )
    assert config_source([], {}) == "the config"


def test_cache_problems_list_each_broken_cache(tmp_path: Path) -> None:
    import numpy as np  # noqa: PLC0415

    good, cut = tmp_path / "images" / "good.h5", tmp_path / "images" / "cut.h5"
    for path in (good, cut):
        write_image_cache(
            path,
            images=np.zeros((4, 8, 8), dtype=np.uint8),
            label=np.array([0, 1, 0, 1]),
            weight=np.ones(4),
            event_id=np.arange(4),
            subset=np.array(["val"] * 4),
            encoding={"kind": "pixels"},
            feature_order=["a"],
        )
    cut.write_bytes(cut.read_bytes()[:1500])
    problem = only(cache_problems(tmp_path))
    assert problem.key == ""
    assert problem.describe("ignored.yaml").startswith(f"{cut}: cannot read as HDF5")
    assert cache_problems(tmp_path / "nothing-here") == []


def test_small_subsets_and_their_note() -> None:
    summary = {"splits": {"train": {"events": 10}, "val": {"events": 961},
                          "public": {"events": 582}, "private": {"events": 2620}}}  # fmt: skip
    assert small_subsets(summary) == {"val": 961, "public": 582}  # train is never scored
    note = small_subsets_note(summary)
    assert note is not None
    assert "(val 961, public 582)" in note
    assert small_subsets_note({"splits": {"val": {"events": 50_000}}}) is None


def test_the_names_cache_lives_in_the_users_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert names_cache_dir() == tmp_path / "xdg" / "supertml"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert names_cache_dir() == tmp_path / "home" / ".cache" / "supertml"


def test_an_unwritable_cache_directory_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert errors(config_with(), blocked) == []  # cache_dir under a file: cannot be written


def test_an_applied_events_file_must_exist_with_a_challenge_header(tmp_path: Path) -> None:
    def apply_to(events: str) -> dict[str, Any]:
        return config_with(apply={"mine": {"events": events, "runs": ["gbt"]}})

    assert errors(apply_to(str(SAMPLE)), tmp_path) == []
    assert errors(apply_to("test_split"), tmp_path) == []
    missing = only(errors(apply_to(str(tmp_path / "test.csv")), tmp_path))
    assert missing.key == "apply.mine.events"
    assert f"{tmp_path / 'test.csv'} is not a file" in missing.message
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    wrong = only(errors(apply_to(str(other)), tmp_path))
    assert wrong.key == "apply.mine.events"
    assert str(other) in wrong.message


def test_an_application_of_an_unknown_run_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"apply\.mine\.runs: 'cnn' is not an experiment or a"):
        config_with(apply={"mine": {"events": "test_split", "runs": ["cnn"]}})


def test_a_logger_without_its_package_is_an_error_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supertml import loggers  # noqa: PLC0415

    config = config_with(loggers={"tensorboard": True, "mlflow": True})
    assert errors(config, tmp_path) == []  # both installed (the project's loggers extra)
    real = loggers.importlib.util.find_spec
    monkeypatch.setattr(
        loggers.importlib.util, "find_spec", lambda name: None if name == "mlflow" else real(name)
    )
    problem = only(errors(config, tmp_path))
    assert problem.key == "loggers.mlflow"
    assert "mlflow-skinny is not installed: pip install mlflow-skinny" in problem.message

"""Time the pre-flight check (supertml.preflight) on a config, cold and with the timm names cached.

    python bench/preflight.py config/config.yaml [more.yaml ...]

"cold": a fresh names cache (timm imported, its model list written); "cached": the same
cache again. Events are counted from two columns of the event file, so the time grows with the
file's size; the file itself is read once per call.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from supertml.config import load_config
from supertml.preflight import preflight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("configs", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.configs:
        config = load_config(path)
        with tempfile.TemporaryDirectory() as cache:
            for label in ("cold", "cached"):
                start = time.perf_counter()
                problems = preflight(config, cache_dir=Path(cache))
                took = time.perf_counter() - start
                levels = ", ".join(sorted({p.level for p in problems}) or ["none"])
                print(f"{path}\t{label}\t{took:.3f} s\tproblems: {len(problems)} ({levels})")


if __name__ == "__main__":
    main()

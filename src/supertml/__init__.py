"""SuperTML reproduction workbench: HiggsML events to images to CNN scores to AMS.

The package holds all logic; the Snakemake workflow under ``workflow/`` only calls it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("supertml")
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree without install
    __version__ = "0+unknown"

__all__ = ["__version__"]

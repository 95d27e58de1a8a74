"""Rule export_test_split: the data set's own test events as an unlabelled Kaggle test.csv."""

from supertml.constants import TEST_SUBSETS
from supertml.logs import logged_step
from supertml.steps.apply import export_test_split

with logged_step(snakemake.log[0]):
    export_test_split(
        {subset: snakemake.input[subset] for subset in TEST_SUBSETS},
        snakemake.output[0],
    )

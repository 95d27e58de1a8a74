"""Rule train_table_model: train one (table, variant, seed) CNN and score its test rows."""

from pathlib import Path

from supertml.logs import logged_step
from supertml.steps.tables import train_table_model

with logged_step(snakemake.log[0]):
    train_table_model(
        snakemake.params.model,
        snakemake.params.recipe,
        table=snakemake.wildcards.table,
        variant=snakemake.wildcards.variant,
        seed=int(snakemake.wildcards.seed),
        summary_path=snakemake.input.summary,
        train_cache=snakemake.input.train,
        val_cache=snakemake.input.val,
        out_dir=Path(snakemake.output.checkpoint).parent,
        predictions_output=snakemake.output.predictions,
        accuracy_output=snakemake.output.accuracy,
        threads=snakemake.threads,
    )

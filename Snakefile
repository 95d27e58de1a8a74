# SuperTML reproduction workbench: HiggsML events -> images -> CNN / baseline scores -> AMS.
#
# Output-path grammar ({dataset} is config dataset.name; {subset} is train, val, public, private):
#   results/{dataset}/splits/{subset}.parquet           validated events, scaled weights
#   results/{dataset}/splits/summary.json               counts, weight sums, weight scheme
#   results/{dataset}/prepared/{preprocessing}/{subset}.parquet   scaled features (NaN = undefined)
#   results/{dataset}/prepared/{preprocessing}/physical/{subset}.parquet   unscaled (text prints these)
#   results/{dataset}/prepared/{preprocessing}/features.json      feature list and fitted scaler
#   results/{dataset}/orderings/{preprocessing}/{ordering}.json   feature order of the images
#   results/{dataset}/images/{preprocessing}/{encoding}/{ordering}/{subset}.h5   uint8 images
#   results/{dataset}/panels/{preprocessing}/{encoding}/{ordering}.png          example images
#   results/{dataset}/runs/{experiment}/seed_{seed}/    model.ckpt, metrics.csv, predictions.parquet
#   results/{dataset}/scores/{experiment}/seed_{seed}.json        cut and AMS values
#   results/{dataset}/analyses/{experiment}/seed_{seed}.json      folds, double luminosity, bootstrap
#   results/{dataset}/intervals/{experiment}/seed_{seed}.json     bootstrap of the other AMS values
#   results/{dataset}/figures/{experiment}/seed_{seed}/{score_distributions,ams_vs_cut}.png
#   results/{dataset}/figures/{training_curves,fold_distributions}.png
#   results/{dataset}/summary.csv, summary.md           one row per (experiment, seed)
#   results/{dataset}/verdict.{md,html,csv}, analyses.csv, intervals.csv   the verdict and tables
#   results/{dataset}/tables/{table}/{train,test}.parquet, split.json   a small table's split
#   results/{dataset}/tables/{table}/images/{train,val}.h5, examples.png  (val holds the test rows)
#   results/{dataset}/tables/{table}/images/train_shuffled/seed_{seed}.h5  labels shuffled
#   results/{dataset}/tables/{table}/{cnn,cnn_shuffled}/seed_{seed}/  model.ckpt, accuracy.json
#   results/{dataset}/tables/{table}/baselines.json     random forest, boosted trees (+ shuffled)
#   results/{dataset}/tables_summary.{csv,md}           small tables: paper vs study vs this run
#   results/{dataset}/logs/{rule}/{...}.log             one log per job, named like its output
#   results/{dataset}/benchmarks/{rule}/{...}.tsv       the job's wall time, peak memory, I/O
#   resources/weights/{architecture}.safetensors        pretrained weights, fetched once
# Baselines share runs/ and scores/ with the CNN experiments under their own names.
# `snakemake --report results/{dataset}/report.html` gathers every figure and table into one page.


import atexit

from snakemake.utils import min_version

min_version("9.0")


# The bundled-sample config is the default; a --configfile on the command line replaces it
# whole (Snakemake would otherwise merge the two, mixing experiments of both).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/images.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/apply.smk"


# Hooks of a real run (not of dry runs): the network check of the pretrained weights the run
# must fetch, the record that lets a rerun after a kill remove its locks, and, on failure, the
# failing steps' reasons and logs as the last lines on the terminal (supertml.session).
onstart:
    preflight.enforce(preflight.weights_preflight(config, WEIGHTS), CONFIG_SOURCE)
    session.start_session(Path.cwd(), slurm_run=session.slurm_run_id(workflow))


onsuccess:
    session.end_session(Path.cwd())


# Printed at exit, so that it comes after Snakemake's own closing lines.
onerror:
    atexit.register(print, session.failure_summary(Path.cwd()), file=sys.stderr)
    session.end_session(Path.cwd())


rule all:
    default_target: True
    input:
        GRID.final_files(),

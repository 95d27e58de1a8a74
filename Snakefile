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
#   results/{dataset}/summary.csv, summary.md           one row per (experiment, seed)
#   results/{dataset}/logs/{rule}/...                   one log per job
# Baselines share runs/ and scores/ with the CNN experiments under their own names.


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


rule all:
    default_target: True
    input:
        get_final_output(),

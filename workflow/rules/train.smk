# CNN training and prediction: the jobs that want a GPU on a cluster. Requests are sized from
# the images a job holds and pushes through its network (supertml.cluster.requests), and grow
# with every retry; a retried training resumes from its last epoch checkpoint.


# Downloads run where Snakemake runs (a cluster's head node): compute nodes are often offline.
localrules:
    fetch_weights,


rule fetch_weights:
    output:
        f"{WEIGHTS}/{{architecture}}.safetensors",
    log:
        f"{RESULTS}/logs/fetch_weights/{{architecture}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fetch_weights/{{architecture}}.tsv"
    wildcard_constraints:
        architecture=FETCHED_ARCHITECTURE,
    params:
        code=step_version("fetch_weights"),
    script:
        "../scripts/fetch_weights.py"


rule train_model:
    input:
        unpack(get_training_images),
        weights=get_training_weights,
    output:
        checkpoint=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/model.ckpt",
        metrics=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/metrics.csv",
        config=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/train_config.json",
    log:
        f"{RESULTS}/logs/train_model/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_model/{{experiment}}/seed_{{seed}}.tsv"
    wildcard_constraints:
        experiment=CNN_EXPERIMENT,
    threads: 4
    resources:
        gpu=get_training_gpus,
        mem_mb=get_training_mem_mb,
        runtime=get_training_runtime,
    params:
        experiment=get_experiment,
        b_reg=config["scoring"]["b_reg"],
        code=step_version("train_model"),
    script:
        "../scripts/train_model.py"


rule predict_model:
    input:
        unpack(get_scored_images),
        checkpoint=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/model.ckpt",
    output:
        f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
    log:
        f"{RESULTS}/logs/predict_model/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/predict_model/{{experiment}}/seed_{{seed}}.tsv"
    wildcard_constraints:
        experiment=CNN_EXPERIMENT,
    threads: 4
    resources:
        gpu=1,
        mem_mb=get_prediction_mem_mb,
        runtime=get_prediction_runtime,
    params:
        code=step_version("predict_model"),
    script:
        "../scripts/predict_model.py"

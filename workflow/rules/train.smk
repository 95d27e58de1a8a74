# CNN training and prediction: the jobs that want a GPU on a cluster.


rule train_model:
    input:
        unpack(get_training_images),
    output:
        checkpoint=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/model.ckpt",
        metrics=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/metrics.csv",
        config=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/train_config.json",
    log:
        f"{RESULTS}/logs/train_model/{{experiment}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_model/{{experiment}}_seed{{seed}}.tsv"
    wildcard_constraints:
        experiment=CNN_EXPERIMENT,
    threads: 4
    resources:
        gpu=get_training_gpus,
        mem_mb=32000,
        runtime=720,
    params:
        experiment=get_experiment,
        b_reg=config["scoring"]["b_reg"],
        version=LIBRARY_VERSION,
    script:
        "../scripts/train_model.py"


rule predict_model:
    input:
        unpack(get_scored_images),
        checkpoint=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/model.ckpt",
    output:
        f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
    log:
        f"{RESULTS}/logs/predict_model/{{experiment}}_seed{{seed}}.log",
    wildcard_constraints:
        experiment=CNN_EXPERIMENT,
    threads: 4
    resources:
        gpu=1,
        mem_mb=32000,
        runtime=120,
    params:
        version=LIBRARY_VERSION,
    script:
        "../scripts/predict_model.py"

# Tabular baselines on the same prepared splits, written in the same predictions format.


rule train_baseline:
    input:
        unpack(get_baseline_inputs),
    output:
        predictions=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
        info=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/baseline_info.json",
        model=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/model.joblib",
    log:
        f"{RESULTS}/logs/train_baseline/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_baseline/{{experiment}}/seed_{{seed}}.tsv"
    wildcard_constraints:
        experiment=BASELINE_EXPERIMENT,
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        baseline=get_baseline,
        code=step_version("train_baseline"),
    script:
        "../scripts/train_baseline.py"

# The analyses of the claim (REFERENCE.md section 4) on every run's predictions, and the
# bootstrap intervals of the values they give without one.


rule analyse_predictions:
    input:
        f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
    output:
        f"{RESULTS}/analyses/{{experiment}}/seed_{{seed}}.json",
    log:
        f"{RESULTS}/logs/analyse_predictions/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/analyse_predictions/{{experiment}}/seed_{{seed}}.tsv"
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        scoring=get_scoring,
        analysis=config["analysis"],
        identity=get_identity,
        code=step_version("analyse_predictions"),
    script:
        "../scripts/analyse_predictions.py"


rule bootstrap_analyses:
    input:
        predictions=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
        analysis=f"{RESULTS}/analyses/{{experiment}}/seed_{{seed}}.json",
    output:
        f"{RESULTS}/intervals/{{experiment}}/seed_{{seed}}.json",
    log:
        f"{RESULTS}/logs/bootstrap_analyses/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/bootstrap_analyses/{{experiment}}/seed_{{seed}}.tsv"
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        code=step_version("bootstrap_analyses"),
    script:
        "../scripts/bootstrap_analyses.py"

# The analyses of the claim (REFERENCE.md section 4) on every run's predictions.


rule analyse_predictions:
    input:
        f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
    output:
        f"{RESULTS}/analyses/{{experiment}}/seed_{{seed}}.json",
    log:
        f"{RESULTS}/logs/analyse_predictions/{{experiment}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/analyse_predictions/{{experiment}}_seed{{seed}}.tsv"
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        scoring=config["scoring"],
        analysis=config["analysis"],
        identity=get_identity,
        version=LIBRARY_VERSION,
    script:
        "../scripts/analyse_predictions.py"

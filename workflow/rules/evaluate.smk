# Scoring (the one AMS code path for every run) and the summary table.


rule score_predictions:
    input:
        f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
    output:
        f"{RESULTS}/scores/{{experiment}}/seed_{{seed}}.json",
    log:
        f"{RESULTS}/logs/score_predictions/{{experiment}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/score_predictions/{{experiment}}_seed{{seed}}.tsv"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        scoring=config["scoring"],
        identity=get_identity,
        version=LIBRARY_VERSION,
    script:
        "../scripts/score_predictions.py"


rule summarise_scores:
    input:
        scores=get_score_files(),
        splits=f"{RESULTS}/splits/summary.json",
    output:
        csv=report(
            f"{RESULTS}/summary.csv",
            caption="../report/summary.rst",
            category="Summary",
        ),
        markdown=f"{RESULTS}/summary.md",
    log:
        f"{RESULTS}/logs/summarise_scores/summarise_scores.log",
    benchmark:
        f"{RESULTS}/benchmarks/summarise_scores/summarise_scores.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/summarise_scores.py"

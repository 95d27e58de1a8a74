# Scoring (the one AMS code path for every run) and the summary table.


rule score_predictions:
    input:
        f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
    output:
        f"{RESULTS}/scores/{{experiment}}/seed_{{seed}}.json",
    log:
        f"{RESULTS}/logs/score_predictions/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/score_predictions/{{experiment}}/seed_{{seed}}.tsv"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        scoring=get_scoring,
        identity=get_identity,
        code=step_version("score_predictions"),
    script:
        "../scripts/score_predictions.py"


rule summarise_scores:
    input:
        scores=GRID.run_files("scores"),
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
    params:
        code=step_version("summarise_scores"),
    script:
        "../scripts/summarise_scores.py"

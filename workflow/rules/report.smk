# The report: per-run figures, bootstrap intervals, dataset figures and the verdict page, all
# marked for `snakemake --report results/{dataset}/report.html`.


rule plot_run:
    input:
        predictions=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
        score=f"{RESULTS}/scores/{{experiment}}/seed_{{seed}}.json",
    output:
        scores=report(
            f"{RESULTS}/figures/{{experiment}}/seed_{{seed}}/score_distributions.png",
            caption="../report/score_distributions.rst",
            category="Runs",
            subcategory="{experiment}",
            labels={"figure": "score distributions", "seed": "{seed}"},
        ),
        ams=report(
            f"{RESULTS}/figures/{{experiment}}/seed_{{seed}}/ams_vs_cut.png",
            caption="../report/ams_vs_cut.rst",
            category="Runs",
            subcategory="{experiment}",
            labels={"figure": "AMS vs cut", "seed": "{seed}"},
        ),
    log:
        f"{RESULTS}/logs/plot_run/{{experiment}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_run/{{experiment}}_seed{{seed}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        b_reg=config["scoring"]["b_reg"],
        version=LIBRARY_VERSION,
    script:
        "../scripts/plot_run.py"


rule bootstrap_analyses:
    input:
        predictions=f"{RESULTS}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
        analysis=f"{RESULTS}/analyses/{{experiment}}/seed_{{seed}}.json",
    output:
        f"{RESULTS}/intervals/{{experiment}}/seed_{{seed}}.json",
    log:
        f"{RESULTS}/logs/bootstrap_analyses/{{experiment}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/bootstrap_analyses/{{experiment}}_seed{{seed}}.tsv"
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        version=LIBRARY_VERSION,
    script:
        "../scripts/bootstrap_analyses.py"


rule plot_training_curves:
    input:
        get_metrics_files(),
    output:
        report(
            f"{RESULTS}/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="Training",
            labels={"figure": "training curves"},
        ),
    log:
        f"{RESULTS}/logs/plot_training_curves/plot_training_curves.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_training_curves/plot_training_curves.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        labels=get_metrics_labels(),
        title=f"{DATASET}: training curves of every CNN run",
        version=LIBRARY_VERSION,
    script:
        "../scripts/plot_training_curves.py"


rule plot_fold_distributions:
    input:
        get_analysis_files(),
    output:
        report(
            f"{RESULTS}/figures/fold_distributions.png",
            caption="../report/fold_distributions.rst",
            category="Verdict",
            labels={"item": "2. per-fold AMS of both analyses (figure)"},
        ),
    log:
        f"{RESULTS}/logs/plot_fold_distributions/plot_fold_distributions.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_fold_distributions/plot_fold_distributions.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        title=get_fold_title(),
        version=LIBRARY_VERSION,
    script:
        "../scripts/plot_fold_distributions.py"


rule write_verdict:
    input:
        scores=get_score_files(),
        analyses=get_analysis_files(),
        intervals=get_interval_files(),
        splits=f"{RESULTS}/splits/summary.json",
    output:
        markdown=f"{RESULTS}/verdict.md",
        html=report(
            f"{RESULTS}/verdict.html",
            caption="../report/verdict.rst",
            category="Verdict",
            labels={"item": "1. verdict, analyses, intervals, runs (page)"},
        ),
        verdict=report(
            f"{RESULTS}/verdict.csv",
            caption="../report/verdict_table.rst",
            category="Verdict",
            labels={"item": "3. claim vs study vs this run (CSV)"},
        ),
        analyses=report(
            f"{RESULTS}/analyses.csv",
            caption="../report/analyses_table.rst",
            category="Verdict",
            labels={"item": "4. analyses of the claim (CSV)"},
        ),
        intervals=report(
            f"{RESULTS}/intervals.csv",
            caption="../report/intervals_table.rst",
            category="Verdict",
            labels={"item": "5. bootstrap intervals (CSV)"},
        ),
    log:
        f"{RESULTS}/logs/write_verdict/write_verdict.log",
    benchmark:
        f"{RESULTS}/benchmarks/write_verdict/write_verdict.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        dataset=DATASET,
        study_rows={
            name: experiment["study_row"]
            for name, experiment in EXPERIMENTS.items()
            if "study_row" in experiment
        },
        version=LIBRARY_VERSION,
    script:
        "../scripts/write_verdict.py"

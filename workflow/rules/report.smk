# The report: per-run figures, dataset figures and the verdict page, all marked for
# `snakemake --report results/{dataset}/report.html`.


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
        f"{RESULTS}/logs/plot_run/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_run/{{experiment}}/seed_{{seed}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        b_reg=config["scoring"]["b_reg"],
        code=step_version("plot_run"),
    script:
        "../scripts/plot_run.py"


rule plot_training_curves:
    input:
        GRID.metrics_files(),
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
        labels=GRID.run_labels(cnn_only=True),
        title=f"{DATASET}: training curves of every CNN run",
        code=step_version("plot_training_curves"),
    script:
        "../scripts/plot_training_curves.py"


rule plot_fold_distributions:
    input:
        GRID.run_files("analyses"),
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
        title=GRID.fold_title(),
        code=step_version("plot_fold_distributions"),
    script:
        "../scripts/plot_fold_distributions.py"


rule plot_efficiency:
    input:
        GRID.prediction_files(),
    output:
        roc=report(
            f"{RESULTS}/figures/roc.png",
            caption="../report/roc.rst",
            category="Verdict",
            labels={"item": "3. ROC curves of every run (figure)"},
        ),
        ams=report(
            f"{RESULTS}/figures/ams_vs_efficiency.png",
            caption="../report/ams_vs_efficiency.rst",
            category="Verdict",
            labels={"item": "4. AMS against signal efficiency, every run (figure)"},
        ),
    log:
        f"{RESULTS}/logs/plot_efficiency/plot_efficiency.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_efficiency/plot_efficiency.tsv"
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        labels=GRID.run_labels(),
        b_reg=config["scoring"]["b_reg"],
        title=DATASET,
        code=step_version("plot_efficiency"),
    script:
        "../scripts/plot_efficiency.py"


rule write_verdict:
    input:
        scores=GRID.run_files("scores"),
        analyses=GRID.run_files("analyses"),
        intervals=GRID.run_files("intervals"),
        records=GRID.record_files(),
        applied=GRID.applied_score_files(),
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
            labels={"item": "5. claim vs study vs this run (CSV)"},
        ),
        analyses=report(
            f"{RESULTS}/analyses.csv",
            caption="../report/analyses_table.rst",
            category="Verdict",
            labels={"item": "6. analyses of the claim (CSV)"},
        ),
        intervals=report(
            f"{RESULTS}/intervals.csv",
            caption="../report/intervals_table.rst",
            category="Verdict",
            labels={"item": "7. bootstrap intervals (CSV)"},
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
        study_rows=GRID.study_rows(),
        conditions=GRID.conditions_table(),
        code=step_version("write_verdict"),
    script:
        "../scripts/write_verdict.py"

# Trained runs applied to events files they never saw (config apply): read and prepare the
# events with each run's own fitted preprocessing, score them with the run, then score them at
# the run's validation cut and write its Kaggle submission.


rule export_test_split:
    input:
        public=f"{RESULTS}/splits/public.parquet",
        private=f"{RESULTS}/splits/private.parquet",
    output:
        f"{RESULTS}/applied/test_split.csv.gz",
    log:
        f"{RESULTS}/logs/export_test_split/export_test_split.log",
    benchmark:
        f"{RESULTS}/benchmarks/export_test_split/export_test_split.tsv"
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        code=step_version("export_test_split"),
    script:
        "../scripts/export_test_split.py"


rule read_applied_events:
    input:
        get_applied_source,
    output:
        events=f"{RESULTS}/applied/{{application}}/events.parquet",
        summary=f"{RESULTS}/applied/{{application}}/events.json",
    log:
        f"{RESULTS}/logs/read_applied_events/{{application}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/read_applied_events/{{application}}.tsv"
    resources:
        mem_mb=3000,
        runtime=15,
    params:
        code=step_version("read_applied_events"),
    script:
        "../scripts/read_applied_events.py"


rule prepare_applied_events:
    input:
        events=f"{RESULTS}/applied/{{application}}/events.parquet",
        features=f"{RESULTS}/prepared/{{preprocessing}}/features.json",
    output:
        scaled=f"{RESULTS}/applied/{{application}}/prepared/{{preprocessing}}/scaled.parquet",
        physical=f"{RESULTS}/applied/{{application}}/prepared/{{preprocessing}}/physical.parquet",
    log:
        f"{RESULTS}/logs/prepare_applied_events/{{application}}/{{preprocessing}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/prepare_applied_events/{{application}}/{{preprocessing}}.tsv"
    resources:
        mem_mb=3000,
        runtime=15,
    params:
        code=step_version("prepare_applied_events"),
    script:
        "../scripts/prepare_applied_events.py"


rule apply_model:
    input:
        unpack(get_applied_inputs),
    output:
        f"{RESULTS}/applied/{{application}}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
    log:
        f"{RESULTS}/logs/apply_model/{{application}}/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/apply_model/{{application}}/{{experiment}}/seed_{{seed}}.tsv"
    wildcard_constraints:
        experiment=CNN_EXPERIMENT,
    threads: 4
    resources:
        gpu=1,
        mem_mb=get_prediction_mem_mb,
        # The job encodes its events too (no cache is written for them); doubled on a retry.
        runtime=lambda wildcards, attempt: 60 * 2 ** (attempt - 1),
    params:
        encoding=get_run_encoding,
        code=step_version("apply_model"),
    script:
        "../scripts/apply_model.py"


rule apply_baseline:
    input:
        unpack(get_applied_inputs),
    output:
        f"{RESULTS}/applied/{{application}}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
    log:
        f"{RESULTS}/logs/apply_baseline/{{application}}/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/apply_baseline/{{application}}/{{experiment}}/seed_{{seed}}.tsv"
    wildcard_constraints:
        experiment=BASELINE_EXPERIMENT,
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        code=step_version("apply_baseline"),
    script:
        "../scripts/apply_baseline.py"


rule score_applied:
    input:
        predictions=f"{RESULTS}/applied/{{application}}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
        scores=f"{RESULTS}/scores/{{experiment}}/seed_{{seed}}.json",
    output:
        f"{RESULTS}/applied/{{application}}/scores/{{experiment}}/seed_{{seed}}.json",
    log:
        f"{RESULTS}/logs/score_applied/{{application}}/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/score_applied/{{application}}/{{experiment}}/seed_{{seed}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        identity=get_identity,
        application=get_application,
        code=step_version("score_applied"),
    script:
        "../scripts/score_applied.py"


rule write_submission:
    input:
        predictions=f"{RESULTS}/applied/{{application}}/runs/{{experiment}}/seed_{{seed}}/predictions.parquet",
        scores=f"{RESULTS}/scores/{{experiment}}/seed_{{seed}}.json",
    output:
        f"{RESULTS}/applied/{{application}}/submissions/{{experiment}}/seed_{{seed}}.csv",
    log:
        f"{RESULTS}/logs/write_submission/{{application}}/{{experiment}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/write_submission/{{application}}/{{experiment}}/seed_{{seed}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=step_version("write_submission"),
    script:
        "../scripts/write_submission.py"

# Raw event file -> validated splits with scaled weights -> preprocessed features.


rule split_events:
    input:
        config["dataset"]["path"],
    output:
        **{subset: f"{RESULTS}/splits/{subset}.parquet" for subset in SUBSETS},
        summary=f"{RESULTS}/splits/summary.json",
    log:
        f"{RESULTS}/logs/split_events/split_events.log",
    benchmark:
        f"{RESULTS}/benchmarks/split_events/split_events.tsv"
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        split=config["split"],
        dataset=DATASET,
        code=step_version("split_events"),
    script:
        "../scripts/split_events.py"


rule prepare_features:
    input:
        **{subset: f"{RESULTS}/splits/{subset}.parquet" for subset in SUBSETS},
        summary=f"{RESULTS}/splits/summary.json",
    output:
        **{
            subset: f"{RESULTS}/prepared/{{preprocessing}}/{subset}.parquet"
            for subset in SUBSETS
        },
        **{
            f"physical_{subset}": f"{RESULTS}/prepared/{{preprocessing}}/physical/{subset}.parquet"
            for subset in SUBSETS
        },
        features=f"{RESULTS}/prepared/{{preprocessing}}/features.json",
    log:
        f"{RESULTS}/logs/prepare_features/{{preprocessing}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/prepare_features/{{preprocessing}}.tsv"
    resources:
        mem_mb=3000,
        runtime=15,
    params:
        preset=get_preprocessing,
        code=step_version("prepare_features"),
    script:
        "../scripts/prepare_features.py"


if config["dataset"]["url"]:

    # On the machine Snakemake runs on (a cluster's head node): compute nodes are often offline.
    localrules:
        download_events,

    rule download_events:
        output:
            config["dataset"]["path"],
        log:
            f"{RESULTS}/logs/download_events/download_events.log",
        benchmark:
            f"{RESULTS}/benchmarks/download_events/download_events.tsv"
        params:
            code=step_version("download_events"),
            url=config["dataset"]["url"],
            events=config["dataset"]["events"],
        script:
            "../scripts/download_events.py"

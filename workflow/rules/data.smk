# Raw event file -> validated splits with scaled weights -> preprocessed features.


rule split_events:
    input:
        config["dataset"]["path"],
    output:
        **{subset: f"{RESULTS}/splits/{subset}.parquet" for subset in SUBSETS},
        summary=f"{RESULTS}/splits/summary.json",
    log:
        f"{RESULTS}/logs/split_events/split_events.log",
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        split=config["split"],
        dataset=DATASET,
        version=LIBRARY_VERSION,
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
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        preset=get_preprocessing,
        version=LIBRARY_VERSION,
    script:
        "../scripts/prepare_features.py"


if config["dataset"]["url"]:

    rule download_events:
        output:
            config["dataset"]["path"],
        log:
            f"{RESULTS}/logs/download_events/download_events.log",
        resources:
            mem_mb=1000,
            runtime=60,
        params:
            url=config["dataset"]["url"],
        script:
            "../scripts/download_events.py"

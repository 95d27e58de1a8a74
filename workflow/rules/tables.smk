# The paper's small tables (Iris, Wine, any CSV table; REFERENCE.md section 5): split, text
# images, a CNN per seed on true and on shuffled labels, tree baselines, one comparison.
# The test rows are the image caches' `val` subset: training watches them but keeps the last
# epoch (the config refuses another monitor), so nothing is chosen on them.


rule split_table:
    input:
        get_table_files,
    output:
        train=f"{RESULTS}/tables/{{table}}/train.parquet",
        test=f"{RESULTS}/tables/{{table}}/test.parquet",
        summary=f"{RESULTS}/tables/{{table}}/split.json",
    log:
        f"{RESULTS}/logs/split_table/{{table}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/split_table/{{table}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        spec=get_table_spec,
        code=step_version("split_table"),
    script:
        "../scripts/split_table.py"


rule encode_table_images:
    input:
        train=f"{RESULTS}/tables/{{table}}/train.parquet",
        test=f"{RESULTS}/tables/{{table}}/test.parquet",
        summary=f"{RESULTS}/tables/{{table}}/split.json",
    output:
        train=f"{RESULTS}/tables/{{table}}/images/train.h5",
        val=f"{RESULTS}/tables/{{table}}/images/val.h5",
        examples=report(
            f"{RESULTS}/tables/{{table}}/images/examples.png",
            caption="../report/table_examples.rst",
            category="Small data sets",
            labels={"table": "{table}", "figure": "example images"},
        ),
    log:
        f"{RESULTS}/logs/encode_table_images/{{table}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/encode_table_images/{{table}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        encoding=get_table_encoding,
        code=step_version("encode_table_images"),
    script:
        "../scripts/encode_table_images.py"


rule shuffle_table_labels:
    input:
        f"{RESULTS}/tables/{{table}}/images/train.h5",
    output:
        f"{RESULTS}/tables/{{table}}/images/train_shuffled/seed_{{seed}}.h5",
    log:
        f"{RESULTS}/logs/shuffle_table_labels/{{table}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/shuffle_table_labels/{{table}}/seed_{{seed}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=step_version("shuffle_table_labels"),
    script:
        "../scripts/shuffle_table_labels.py"


rule train_table_model:
    input:
        train=get_table_training_images,
        val=f"{RESULTS}/tables/{{table}}/images/val.h5",
        summary=f"{RESULTS}/tables/{{table}}/split.json",
    output:
        checkpoint=f"{RESULTS}/tables/{{table}}/{{variant}}/seed_{{seed}}/model.ckpt",
        metrics=f"{RESULTS}/tables/{{table}}/{{variant}}/seed_{{seed}}/metrics.csv",
        config=f"{RESULTS}/tables/{{table}}/{{variant}}/seed_{{seed}}/train_config.json",
        predictions=f"{RESULTS}/tables/{{table}}/{{variant}}/seed_{{seed}}/predictions.parquet",
        accuracy=f"{RESULTS}/tables/{{table}}/{{variant}}/seed_{{seed}}/accuracy.json",
    log:
        f"{RESULTS}/logs/train_table_model/{{table}}/{{variant}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_table_model/{{table}}/{{variant}}/seed_{{seed}}.tsv"
    # One thread: two small trainings side by side use two cores better than one with two.
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        model=get_table_model,
        recipe=get_table_recipe,
        code=step_version("train_table_model"),
    script:
        "../scripts/train_table_model.py"


rule fit_table_baselines:
    input:
        train=f"{RESULTS}/tables/{{table}}/train.parquet",
        test=f"{RESULTS}/tables/{{table}}/test.parquet",
        summary=f"{RESULTS}/tables/{{table}}/split.json",
    output:
        f"{RESULTS}/tables/{{table}}/baselines.json",
    log:
        f"{RESULTS}/logs/fit_table_baselines/{{table}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_table_baselines/{{table}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        models=get_table_baseline_models,
        seeds=get_table_seeds,
        code=step_version("fit_table_baselines"),
    script:
        "../scripts/fit_table_baselines.py"


rule summarise_tables:
    input:
        summaries=GRID.per_table("split.json"),
        baselines=GRID.per_table("baselines.json"),
        accuracies=GRID.table_accuracy_files(),
    output:
        csv=report(
            f"{RESULTS}/tables_summary.csv",
            caption="../report/tables.rst",
            category="Small data sets",
            labels={"table": "all", "figure": "paper vs study vs this run"},
        ),
        markdown=f"{RESULTS}/tables_summary.md",
    log:
        f"{RESULTS}/logs/summarise_tables/summarise_tables.log",
    benchmark:
        f"{RESULTS}/benchmarks/summarise_tables/summarise_tables.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        references=get_table_references(),
        tables=list(GRID.tables),
        code=step_version("summarise_tables"),
    script:
        "../scripts/summarise_tables.py"

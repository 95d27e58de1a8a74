# Feature orderings, the HDF5 image caches (one per preprocessing, encoding, ordering and
# subset) and example panels of what the network sees.


rule order_features:
    input:
        train=f"{RESULTS}/prepared/{{preprocessing}}/train.parquet",
        features=f"{RESULTS}/prepared/{{preprocessing}}/features.json",
    output:
        f"{RESULTS}/orderings/{{preprocessing}}/{{ordering}}.json",
    log:
        f"{RESULTS}/logs/order_features/{{preprocessing}}/{{ordering}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/order_features/{{preprocessing}}/{{ordering}}.tsv"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        spec=get_ordering,
        code=step_version("order_features"),
    script:
        "../scripts/order_features.py"


rule encode_images:
    input:
        values=get_encoder_input,
        ordering=f"{RESULTS}/orderings/{{preprocessing}}/{{ordering}}.json",
        features=f"{RESULTS}/prepared/{{preprocessing}}/features.json",
    output:
        f"{RESULTS}/images/{{preprocessing}}/{{encoding}}/{{ordering}}/{{subset}}.h5",
    log:
        f"{RESULTS}/logs/encode_images/{{preprocessing}}/{{encoding}}/{{ordering}}/{{subset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/encode_images/{{preprocessing}}/{{encoding}}/{{ordering}}/{{subset}}.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        encoding=get_encoding,
        code=step_version("encode_images"),
    script:
        "../scripts/encode_images.py"


rule plot_panel:
    input:
        f"{RESULTS}/images/{{preprocessing}}/{{encoding}}/{{ordering}}/val.h5",
    output:
        report(
            f"{RESULTS}/panels/{{preprocessing}}/{{encoding}}/{{ordering}}.png",
            caption="../report/panel.rst",
            category="Example images",
            subcategory="{encoding}",
            labels={
                "preprocessing": "{preprocessing}",
                "encoding": "{encoding}",
                "ordering": "{ordering}",
            },
        ),
    log:
        f"{RESULTS}/logs/plot_panel/{{preprocessing}}/{{encoding}}/{{ordering}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_panel/{{preprocessing}}/{{encoding}}/{{ordering}}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=step_version("plot_panel"),
        encoding=get_encoding,
    script:
        "../scripts/plot_panel.py"

# Feature orderings and the HDF5 image caches, one per (preprocessing, encoding, ordering, subset).


rule write_ordering:
    output:
        f"{RESULTS}/orderings/{{ordering}}.json",
    log:
        f"{RESULTS}/logs/write_ordering/{{ordering}}.log",
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        spec=get_ordering,
        version=LIBRARY_VERSION,
    script:
        "../scripts/write_ordering.py"


rule encode_images:
    input:
        prepared=f"{RESULTS}/prepared/{{preprocessing}}/{{subset}}.parquet",
        ordering=f"{RESULTS}/orderings/{{ordering}}.json",
    output:
        f"{RESULTS}/images/{{preprocessing}}/{{encoding}}/{{ordering}}/{{subset}}.h5",
    log:
        f"{RESULTS}/logs/encode_images/{{preprocessing}}_{{encoding}}_{{ordering}}_{{subset}}.log",
    resources:
        mem_mb=16000,
        runtime=60,
    params:
        encoding=get_encoding,
        version=LIBRARY_VERSION,
    script:
        "../scripts/encode_images.py"

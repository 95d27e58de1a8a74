"""The workflow's steps: one module per rule file, one function per rule, named as the rule.

``workflow/rules/images.smk``'s rule ``encode_images`` runs ``workflow/scripts/encode_images.py``,
logs to ``logs/encode_images/``, benchmarks into ``benchmarks/encode_images/`` and calls
:func:`supertml.steps.images.encode_images`: one name from rule to function. Each function reads
its inputs, calls the topic modules and writes its outputs atomically, so the rule scripts stay
thin adapters and every step can be run and tested without Snakemake.

Heavy libraries (torch, Lightning, timm: about 7 s per job; scikit-learn's ensembles;
matplotlib) are imported inside the functions that need them, so the jobs that do not need them
do not pay for them; this package's modules import nothing heavy at module level.
"""

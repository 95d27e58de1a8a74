"""Where a job runs: SLURM jobs, GPU assignment on workstations, what each job requests,
and the plan (jobs and GPU hours) of a configured study."""

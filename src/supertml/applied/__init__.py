"""A trained run applied to an events file it never saw: events, predictions, submissions.

- :mod:`~supertml.applied.events`: read any challenge file (Open Data, Kaggle ``training.csv``
  or ``test.csv``), and prepare it with a run's own fitted preprocessing;
- :mod:`~supertml.applied.scoring`: the applied predictions and their AMS at the run's
  validation cut;
- :mod:`~supertml.applied.submission`: the challenge's ``EventId,RankOrder,Class`` file.
"""

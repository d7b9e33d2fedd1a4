"""Training of the project's NLI cross-encoder: data sources and held-out slices
(:mod:`models.training.sources`), the recipe (:mod:`models.training.recipe`), temperature
calibration (:mod:`models.training.calibration`) and the written news corpus
(``models/training/data/news_corpus/``).

Nothing at inference time imports this package.
"""

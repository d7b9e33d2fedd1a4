"""``factcheck train-nli``: the NLI training recipe (``models.training.recipe``), as is."""

from __future__ import annotations

import click


@click.command(
    "train-nli",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def train_nli(args: tuple[str, ...]) -> None:
    """Train the NLI cross-encoder (the recipe in models/training/recipe.py; --help lists options).

    Example: factcheck train-nli --data DATA_DIR --out runs/nli (DATA_DIR: see models/README.md)
    """
    from models.training.recipe import main as training_main

    raise SystemExit(training_main(list(args)))

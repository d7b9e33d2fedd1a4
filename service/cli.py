"""The ``factcheck`` command line: the same service functions the API calls."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="factcheck")
def cli() -> None:
    """Fact-checking and contradiction detection over a corpus of news articles."""


def main() -> None:
    cli()

"""``python -m evaluation ...``: the ``evaluate`` command without the ``factcheck`` group."""

from evaluation.cli import evaluate_command

if __name__ == "__main__":
    evaluate_command(prog_name="python -m evaluation")

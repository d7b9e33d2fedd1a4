"""``python -m evaluation ...``: the ``evaluate`` command without the ``factcheck`` group
(what the nightly job runs). An entry point, so it sits above every layer it starts."""

from service.cli.evaluate import evaluate_command

if __name__ == "__main__":
    evaluate_command(prog_name="python -m evaluation")

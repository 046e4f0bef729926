"""``python -m workflows`` is the ``shadowsim`` console script."""

from workflows.cli import app

if __name__ == "__main__":  # a sweep's spawned workers import this module again: they must not run the CLI
    app()

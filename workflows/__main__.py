"""``python -m workflows`` is the ``shadowsim`` console script."""

from workflows.cli import app

app()

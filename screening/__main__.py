"""`python -m screening` works like the `screening` command."""

from screening.cli import run

run()

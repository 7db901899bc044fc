"""``python -m sounding.cli``."""

from sounding.cli.app import main

main()

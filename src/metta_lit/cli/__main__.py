"""``python -m metta_lit.cli``: the ``metta-lit`` command, for subprocesses and where no script is installed."""

from metta_lit.cli.main import main

main()

"""The non-training subcommands of ``metta-lit``: evaluate, analyze, replay, play."""

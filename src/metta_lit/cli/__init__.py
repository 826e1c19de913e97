"""The ``metta-lit`` command: LightningCLI for ``fit``/``validate``, typed commands for the rest."""

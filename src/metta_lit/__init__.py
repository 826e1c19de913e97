"""metta-lit: multi-agent RL on a native MettaGrid environment (Lightning + TorchRL)."""

__version__ = "0.1.0"

"""Training: the LightningModule, loss composition, rollouts, threads, loggers and callbacks."""

"""Lightning callbacks of a training run: policy files and retention, periodic evaluation, progress bar."""

"""What every layer shares: errors, file I/O on local paths and URLs, child processes, packaged configs."""

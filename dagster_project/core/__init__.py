"""What every stage stands on: the settings, the build database and the pipeline lock."""

"""What every stage stands on: the settings, the database helpers and the pipeline lock."""

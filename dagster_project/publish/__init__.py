"""Step 5: the audited build becomes the published file, atomically."""

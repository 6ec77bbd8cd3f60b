"""Ingest: read every export of docs/sources.md robustly into the raw layer (`raw.*`).

`loader` is the interface (`load_config`, `load_source`); `contracts.yaml` says what is
accepted; `sniff`/`reader` read files (`batch` reads and stores several at once),
`values`/`parse`/`survey` type them in DuckDB SQL, `store` keeps per-file rows and rebuilds
the current state.
"""

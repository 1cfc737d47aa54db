"""Demo data of reporting, one module per capability; seed_demo calls each module's
`seed(region, *, seed, as_of)` after the registry, placements and cases exist, and again on
`make run --keep-existing` (each seed() must then only add what is missing)."""

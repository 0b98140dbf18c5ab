"""Lab code for the labelled Arabic events corpus (issue 29): sentences, batches, calibration,
validation, scoring, agreement and merging. Never imported by the runtime."""

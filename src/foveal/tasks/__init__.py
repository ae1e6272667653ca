"""One module per task: preprocessing, postprocessing, predictor and training recipe."""

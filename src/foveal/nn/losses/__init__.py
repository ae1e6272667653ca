"""Training losses (YOLOX with SimOTA assignment, ...)."""

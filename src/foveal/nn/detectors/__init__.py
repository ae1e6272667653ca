"""Complete detectors: backbone + neck + head."""

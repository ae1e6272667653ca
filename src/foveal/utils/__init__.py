"""Small shared helpers (file writing) with no heavy imports."""

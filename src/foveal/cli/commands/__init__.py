"""Sub-command modules, discovered automatically. Each defines ``register(subparsers)``."""

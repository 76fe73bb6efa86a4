"""The four HalloBot services; each has the same inner shape (docs/architecture.md)."""

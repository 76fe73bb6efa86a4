"""The four HalloBot services; each has the same inner shape (see ../shared/STYLE.md)."""

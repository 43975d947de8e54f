"""Python side of the single-bundle fixture project."""

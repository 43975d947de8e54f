"""Python side of the two-bundle fixture project."""

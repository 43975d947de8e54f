"""Python side of the vendored fixture project."""

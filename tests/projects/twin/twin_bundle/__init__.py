"""Python side of the twin fixture project: a second distribution with a bundle named hello."""

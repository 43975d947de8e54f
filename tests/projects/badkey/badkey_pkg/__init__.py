"""Fixture: a hook table with a misspelt key."""

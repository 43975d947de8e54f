"""A project whose bundle has tasks that call the supervisor."""

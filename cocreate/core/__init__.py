"""Core: the plumbing every domain builds on. It imports no domain (see `make lint`)."""

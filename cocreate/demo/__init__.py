"""Demo data for `make run`: a living marketplace with known logins."""

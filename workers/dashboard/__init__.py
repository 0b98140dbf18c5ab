"""`newsworker dashboard`: the events page (README.md beside this file)."""

"""`newsworker export`: the events table (README.md beside this file)."""

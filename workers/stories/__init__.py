"""Stories: near-duplicates and the same story across languages (`story` field)."""

"""The faust stream shell around the enrichment core."""

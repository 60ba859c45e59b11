"""The report view (View → Report): what the team writes for the assessment's report, the quotations
it chooses, and the factual accuracy check (drafts shared, responses and decisions)."""

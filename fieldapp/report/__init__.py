"""The report command, `python -m fieldapp.report` (see __main__); the report itself is fieldapp.reports."""

"""The report in the app: its PDF through Qt's own printing, and the command that makes a report."""

"""Concerns in the app (issue 15): raising one (dialog.py), the quiet ask after a People's experience
tag (ask.py), the Concerns view (view.py) and the reminders until the office acknowledges (reminders.py);
words.py says each concern's state as the inspector reads it."""

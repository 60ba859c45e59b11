"""Assessment reports (issue 14): one frozen report value built in the core from an assessment, its
judgements, rating and snapshots (`build`, into `model`), presented by each renderer (`html`, `docx`; PDF by
the UI layer), and the command `python -m fieldapp.report` (`__main__`). Qt-free: nothing here
imports PySide6."""

"""Assessment reports (issue 14): one frozen report value built in the core from an assessment, its
judgements, rating and snapshots (`build`), presented by each renderer (`html`; PDF by the UI layer).
Qt-free: nothing here imports PySide6."""

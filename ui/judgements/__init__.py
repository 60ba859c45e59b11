"""The judgement view, a package by noun: the statements list (statements.py), the judgement form
(form.py), the statement's evidence (evidence.py), the roll-up (rollup.py), the rating dialogs
(dialogs.py), and the view that holds them (view.py); its operations are ui/operations/judgements.py."""

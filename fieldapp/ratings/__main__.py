"""The roll-up from a command, for auditors: `python -m fieldapp.ratings statement 3 2 3 3`,
`rating [--rounding half-down] 3 3 3 2 2 2`, `rules`. Prints JSON; bad input is a message and exit 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from fieldapp.errors import FieldappError
from fieldapp.ratings.arithmetic import score_set
from fieldapp.ratings.rules import Rules, available_rules, default_rules, rules_by_key

USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fieldapp.ratings", description="Work out scores and ratings as published, exactly.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, words in (("statement", "category scores (1–4) to a statement's score"),
                        ("rating", "statement scores (1–4) to a score and a rating")):  # fmt: skip
        command = commands.add_parser(name, help=words, description=f"Roll {words}.")
        command.add_argument("scores", nargs="*", metavar="SCORE", help="whole numbers from 1 to 4")
        command.add_argument("--rules", metavar="KEY", help="the scoring rules' key (default: the shipped default)")
        command.add_argument("--rounding", choices=("half-up", "half-down", "half_up", "half_down"),
                             help="how an exact half is shown (default: the rules')")
    commands.add_parser("rules", help="list the scoring rules this app knows", description="List the scoring rules this app knows.")
    return parser


def _scores(texts: Sequence[str]) -> list[int]:
    if not texts:
        raise ValueError("give at least one score: whole numbers from 1 to 4, such as 3 2 3 3.")
    scores = []
    for text in texts:
        if not (text.isascii() and text.isdigit()) or int(text) not in (1, 2, 3, 4):
            raise ValueError(f"{text!r} is not a score: scores are whole numbers from 1 to 4.")
        scores.append(int(text))
    return scores


def _run(args: argparse.Namespace) -> dict[str, Any] | list[dict[str, Any]]:
    if args.command == "rules":
        return [{"key": r.key, "name": r.name, "mode": r.mode, "rounding": r.rounding, "weighting": r.weighting,
                 "default": r.default} for r in available_rules()]  # fmt: skip
    rules: Rules = rules_by_key(args.rules) if args.rules else default_rules()
    if args.rounding:
        rules = rules.with_rounding(args.rounding)
    if rules.mode == "judgement_only":
        raise ValueError(f"the scoring rules {rules.key} have no numeric roll-up (the rating is chosen by judgement).")
    result = score_set(_scores(args.scores), rules).to_json()
    return {**result, "rules": rules.key, "rounding": rules.rounding, "notice": rules.notice}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 with JSON on stdout, or 2 with a message on stderr."""
    args = _parser().parse_args(argv)
    try:
        output = _run(args)
    except (ValueError, FieldappError) as exc:
        print(f"python -m fieldapp.ratings {args.command}: {exc}", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(output, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

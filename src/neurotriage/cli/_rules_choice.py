"""Which rules a command uses: ``--rules DIR`` or ``--pack NAME``, at most one of them.

Every command that reads a rule set takes both options, added by
:func:`add_rules_options`; argparse refuses the two together, and a name that
is not a built-in pack, with exit 2 and a message naming the built-in packs.
Neither given: the default built-in pack.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from neurotriage.loading import (
    BUILTIN_PACKS,
    builtin_pack_dir,
    default_rules,
    default_rules_dir,
    load_rules,
)
from neurotriage.ruleset import RuleSet

__all__ = ["add_rules_options", "chosen_rules", "chosen_rules_dir"]


def add_rules_options(
    sub: argparse.ArgumentParser,
    help_text: str = "a rule file or directory (default: built-in)",
    *,
    serving: bool = False,
) -> None:
    """Add ``--rules DIR`` and ``--pack NAME`` to ``sub``, as alternatives.

    A command ``serving`` decisions also takes ``--unverified``, which loads
    ``--rules`` without proving it (``load_rules(path, verify=False)``).
    """
    group = sub.add_mutually_exclusive_group()
    group.add_argument("--rules", metavar="DIR", help=help_text)
    group.add_argument(
        "--pack",
        metavar="NAME",
        choices=sorted(BUILTIN_PACKS),
        help=f"a built-in pack instead: {', '.join(sorted(BUILTIN_PACKS))}",
    )
    if not serving:
        return
    sub.add_argument(
        "--unverified",
        action="store_true",
        help="use --rules even if its safety properties fail to prove (not recommended; "
        "every decision then says it is not verified)",
    )


def chosen_rules(args: argparse.Namespace, *, verify: bool = True) -> RuleSet:
    """The rule set ``--rules`` or ``--pack`` names, else the default built-in pack.

    ``verify=False`` is for the commands that analyse a rule set rather than
    serve its decisions (verify, lint, diff): they must read an unsafe one too.
    """
    if args.rules:
        return load_rules(args.rules, verify=verify and not getattr(args, "unverified", False))
    return default_rules(args.pack)


def chosen_rules_dir(args: argparse.Namespace) -> str | Path:
    """The rule file or directory ``--rules`` or ``--pack`` names, else the default pack's."""
    if args.rules:
        return str(args.rules)
    return builtin_pack_dir(args.pack) if args.pack else default_rules_dir()

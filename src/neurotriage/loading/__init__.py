"""Loading rule packs: files on disk -> YAML with marks -> pack and rule schemas -> a RuleSet.

Every problem of a load is collected with its file, rule id, line and
column, and raised together as one :class:`~neurotriage.RuleError`.
"""

from neurotriage.loading._loader import (
    BUILTIN_PACKS,
    builtin_pack_dir,
    default_rules,
    default_rules_dir,
    load_rules,
)
from neurotriage.loading._sources import shown_path

__all__ = [
    "BUILTIN_PACKS",
    "builtin_pack_dir",
    "default_rules",
    "default_rules_dir",
    "load_rules",
    "shown_path",
]

"""The ``neurotriage`` command: argument parsing, one reader per input format,
one renderer per output format.

``main(argv, stdout, stderr, stdin) -> int`` takes its own streams so tests
can run it in-process, and never exits; ``run()`` is the console script.
"""

from neurotriage.cli._main import main, run

__all__ = ["main", "run"]

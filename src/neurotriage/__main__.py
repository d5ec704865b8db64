"""``python -m neurotriage``: the same as the ``neurotriage`` command."""

from neurotriage.cli import run

if __name__ == "__main__":
    run()

"""``python -m negosim``: the same as the ``negosim`` command."""

from .cli import run

if __name__ == "__main__":
    run()

"""``python -m derive`` is the ``derive`` command."""
from derive.cli import run

if __name__ == "__main__":
    run()

"""``python -m negosim``: the same as the ``negosim`` command."""

try:
    from negosim.cli.main import run
except KeyboardInterrupt:  # Ctrl-C while the command starts: one line, no traceback
    import sys
    print("interrupted", file=sys.stderr)
    raise SystemExit(130) from None

if __name__ == "__main__":
    run()

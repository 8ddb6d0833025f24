"""The ``negosim`` command: its parser, one module per subcommand, terminal output and generated docs.

The command starts without importing the engine or any heavy library: each subcommand
imports what it runs inside the function that runs it (``negosim --help`` stays fast), and this
package imports nothing at all.

- :mod:`~negosim.cli.main`: ``main()``, ``run()`` and the parser; ``COMMAND_MODULES``;
- :mod:`~negosim.cli.commands`: one module per subcommand, each with ``add_parser(subparsers)``;
- :mod:`~negosim.cli.render`: rich tables for the terminal;
- :mod:`~negosim.cli.argtypes`: argument types and bounds of the command's options;
- :mod:`~negosim.cli.docgen`: the generated parts of docs/cli.md and docs/scenario-format.md.
"""

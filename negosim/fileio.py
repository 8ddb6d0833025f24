"""Writing files all or nothing, for every writer of negosim (traces, figures, reports).

See :func:`atomic_output` for an example.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path):
    """Write a file all or nothing: yield a temporary path next to ``path``, then move it over ``path``.

    The move (``os.replace``) happens only when the block succeeds, so a full disk, a killed
    process or a failing writer never leaves a half-written file under the final name; on
    failure the temporary file is removed. An ``OSError`` becomes a one-line
    :class:`~negosim.errors.NegosimError` (the CLI exits with code 2).

    Example
    -------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "trace.csv"
    >>> with atomic_output(out) as tmp:
    ...     _ = tmp.write_text("round,text")
    >>> out.read_text(), sorted(p.name for p in out.parent.iterdir())
    ('round,text', ['trace.csv'])
    """
    from negosim.errors import NegosimError
    path = Path(path)
    try:
        # Same folder, so the final rename stays on one file system and is atomic.
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise NegosimError(f"cannot write '{path}': {e.strerror or e}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        _copy_mode(path, tmp)
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(e, OSError):
            raise NegosimError(f"cannot write '{path}': {e.strerror or e}") from None
        raise


def _copy_mode(path: Path, tmp: Path) -> None:
    # mkstemp makes the file private (0600); give it the mode the file has, or would get from
    # open() under the current umask.
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)

"""Rule files on disk: which entries of a rules directory are rule files, and reading one.

Nothing that could be a rule file is skipped in silence. In a directory, every
entry whose name ends in ``.yaml`` or ``.yml`` (in any case) is a rule file:
it is loaded or it is a located problem (a broken symbolic link, a directory,
a named pipe, a hidden file). Other entries are ignored. A file is checked
with ``os.stat`` before it is opened, so a named pipe or a device is refused
unopened, checked again once open (it may have been swapped meanwhile), and
read up to :data:`MAX_RULE_FILE_BYTES`.

File names are bytes on POSIX; Python shows the bytes that are not UTF-8 as
surrogate escapes. :func:`shown_path` is the name as messages print it, with
such bytes (and control characters) escaped, so a message can always be
written out.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from neurotriage._errors import RuleError, RuleProblem

__all__ = [
    "MAX_RULE_FILE_BYTES",
    "PACK_FILE",
    "RULE_FILE_SUFFIXES",
    "Unreadable",
    "find_rule_files",
    "read_rule_text",
    "shown_path",
]

#: The largest rule file read, in bytes: hundreds of times the built-in rule
#: set, and small enough that a wrong path (a disk image, a log) is refused
#: before it is parsed.
MAX_RULE_FILE_BYTES = 16 * 1024 * 1024
#: A directory entry whose name ends in one of these, in any case, is a rule file.
RULE_FILE_SUFFIXES = (".yaml", ".yml")

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
#: Opening never waits for a writer (a named pipe swapped in after the check)
#: and never makes a terminal the controlling one.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class Unreadable(Exception):  # noqa: N818 - reads as what the file is
    """A rule file that cannot be read as text; ``message`` says why.

    ``line`` and ``column`` (1-based) place the problem when it has a place
    (the first byte that is not UTF-8), and ``lines`` are the file's lines to
    quote, undecodable bytes shown as U+FFFD.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        lines: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.lines = list(lines)


def shown_path(path: str | os.PathLike[str]) -> str:
    """``path`` as messages show it: bytes not UTF-8 as ``\\xNN``, control characters escaped."""
    text = os.fspath(path)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file name decodes to
        raw = text.encode("utf-8", "surrogatepass")
    decoded = raw.decode("utf-8", "backslashreplace")
    if decoded.isprintable():
        return decoded
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in decoded)


#: The name of the pack declaration in a rules directory.
PACK_FILE = "pack.yaml"
#: Names that look like a pack declaration but are not it: refused, never read as rules.
_PACK_LOOKALIKES = frozenset({"pack.yaml", "pack.yml"})


def _is_rule_file_name(name: str) -> bool:
    return name.lower().endswith(RULE_FILE_SUFFIXES)


def find_rule_files(root: Path) -> tuple[list[Path], list[RuleProblem], Path | None]:
    """The rule files at ``root``, the problems of entries refused by their name, the pack file.

    ``root`` is a rule file (returned as it is, to be checked when read) or a
    directory, whose rule files are returned in name order, and whose
    ``pack.yaml`` (if any) is returned on its own. Raises RuleError when
    ``root`` does not exist, cannot be listed or holds no rule file.
    """
    try:
        is_directory = stat.S_ISDIR(os.stat(root).st_mode)
    except OSError:
        is_directory = False  # reading it says what is wrong
    if not is_directory:
        try:
            os.lstat(root)
        except (FileNotFoundError, NotADirectoryError):
            raise RuleError([RuleProblem(shown_path(root), "no such file or directory")]) from None
        except OSError:
            pass  # reading it says what is wrong
        return [root], [], None
    try:
        with os.scandir(root) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as err:
        problem = f"cannot list the directory: {err.strerror or err}"
        raise RuleError([RuleProblem(shown_path(root), problem)]) from err
    paths: list[Path] = []
    problems: list[RuleProblem] = []
    pack = root / PACK_FILE if PACK_FILE in names else None
    for name in filter(_is_rule_file_name, names):
        if name == PACK_FILE:
            continue
        if name.lower() in _PACK_LOOKALIKES:
            problems.append(
                RuleProblem(
                    shown_path(root / name),
                    f"a pack declaration must be named exactly '{PACK_FILE}'; rename this file",
                )
            )
        elif name.startswith("."):
            problems.append(
                RuleProblem(
                    shown_path(root / name),
                    "hidden rule file (its name starts with '.'); "
                    "rename it or move it out of the rules directory",
                )
            )
        else:
            paths.append(root / name)
    if not paths and not problems:
        problem = "the directory holds no .yaml or .yml rule files"
        raise RuleError([RuleProblem(shown_path(root), problem)])
    return paths, problems, pack


def _refuse_kind(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise Unreadable(f"cannot read the file: it is {kind}, not a regular file")


def _too_large() -> Unreadable:
    mib, rest = divmod(MAX_RULE_FILE_BYTES, 1024 * 1024)
    limit = f"{mib} MiB" if mib and not rest else f"{MAX_RULE_FILE_BYTES:,} bytes"
    return Unreadable(
        f"the file is larger than {limit}, the most one rule file may hold; "
        "split it into several files"
    )


def _stat_failure(path: Path, err: OSError) -> Unreadable:
    if err.errno == errno.ELOOP:
        return Unreadable("cannot read the file: its symbolic links form a loop")
    if err.errno == errno.ENOENT and path.is_symlink():
        try:
            target = f" (to '{shown_path(os.readlink(path))}')"
        except OSError:
            target = ""
        return Unreadable(f"cannot read the file: it is a broken symbolic link{target}")
    return Unreadable(f"cannot read the file: {err.strerror or err}")


def _read_bytes(path: Path) -> bytes:
    try:
        info = os.stat(path)
    except OSError as err:
        raise _stat_failure(path, err) from err
    _refuse_kind(info.st_mode)  # before opening: opening a pipe or a device can block or act
    if info.st_size > MAX_RULE_FILE_BYTES:
        raise _too_large()
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as err:
        raise _stat_failure(path, err) from err
    try:
        with open(descriptor, "rb", closefd=False) as handle:
            _refuse_kind(os.fstat(descriptor).st_mode)  # the file may have been swapped
            data = handle.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as err:
        raise Unreadable(f"cannot read the file: {err.strerror or err}") from err
    finally:
        os.close(descriptor)
    if len(data) > MAX_RULE_FILE_BYTES:  # it grew after the check
        raise _too_large()
    return data


def _not_utf8(data: bytes, err: UnicodeDecodeError) -> Unreadable:
    before = data[: err.start].decode("utf-8")  # valid up to the first bad byte
    lines_before = (before + "x").splitlines()  # the last one holds the bad byte's line
    return Unreadable(
        f"the file is not valid UTF-8: cannot decode byte 0x{data[err.start]:02x} "
        f"({err.reason}); save it as UTF-8",
        line=len(lines_before),
        column=len(lines_before[-1]),
        lines=data.decode("utf-8", "replace").splitlines(),
    )


def read_rule_text(path: Path) -> str:
    """The text of the rule file at ``path``: a regular file of strict UTF-8.

    Line ends are read as text mode reads them (``\\r\\n`` and ``\\r`` become
    ``\\n``). Raises Unreadable saying why the file cannot be read.
    """
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _not_utf8(data, err) from err
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text

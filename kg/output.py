"""Write a set of files into a folder all or nothing (``mskg build --out``, ``mskg docs --out``).

Every file is first written into a temporary folder on the same file system: beside the target when the
target does not exist yet (the whole folder is then renamed into place in one step), else a hidden
folder inside it (each file is then renamed over its old version, and on any failure the files already
moved are put back). So a full disk, a blocked path or an error half-way leaves the target as it was,
and the temporary folder is removed in every case. Files in the target that are not being written are
left alone.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath


def _relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"not a relative file path: {name!r}")
    return path


def _stage(folder: Path, files: Mapping[str, bytes]) -> None:
    for name, body in files.items():
        target = folder.joinpath(*_relative(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as handle:
            handle.write(body)


def _check_free(out: Path, files: Mapping[str, bytes]) -> None:
    """Fail before anything moves when a file's place is taken by a folder, or a folder's by a file."""
    for name in files:
        parts = _relative(name).parts
        for depth in range(1, len(parts)):
            step = out.joinpath(*parts[:depth])
            if os.path.lexists(step) and not step.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(step))
        dest = out.joinpath(*parts)
        if dest.is_dir() and not dest.is_symlink():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(dest))


def write_files(out: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (relative POSIX path -> bytes) under ``out``: all of them, or none and ``out``
    unchanged (the error is raised). Returns the paths written, in the order given."""
    out = Path(out)
    for name in files:
        _relative(name)
    if os.path.lexists(out) and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(out))
    written = [out.joinpath(*_relative(name).parts) for name in files]
    if not out.exists():
        parent = out.absolute().parent
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.", suffix=".tmp"))
        try:
            _stage(staging, files)
            os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it 0700; a new folder gets the usual mode
            os.rename(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return written
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".mskg-", suffix=".tmp"))
    try:
        new, old = staging / "new", staging / "old"
        new.mkdir()
        _stage(new, files)
        _check_free(out, files)
        moved: list[tuple[Path, Path | None]] = []  # (destination, where its old version was put)
        made: list[Path] = []  # folders created on the way, to remove again on failure
        try:
            for name in files:
                parts = _relative(name).parts
                dest = out.joinpath(*parts)
                for depth in range(1, len(parts)):
                    step = out.joinpath(*parts[:depth])
                    if not step.is_dir():
                        step.mkdir()
                        made.append(step)
                backup = None
                if os.path.lexists(dest):
                    backup = old.joinpath(*parts)
                    backup.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(dest, backup)
                    moved.append((dest, backup))
                    os.rename(new.joinpath(*parts), dest)
                else:
                    os.rename(new.joinpath(*parts), dest)
                    moved.append((dest, None))
        except BaseException:
            for dest, backup in reversed(moved):  # put every old version back
                try:
                    if os.path.lexists(dest) and (backup is None or os.path.lexists(backup)):
                        os.unlink(dest)
                    if backup is not None:
                        os.rename(backup, dest)
                except OSError:
                    pass
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:
                    pass
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

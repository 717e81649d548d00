"""Checked file access for everything a user names on the command line or in a spec.

Outputs are validated before any computation (the folder exists and is writable, the
target is not a folder, the format is supported), so a long run is never lost to a typo
in `--out`.  Inputs are checked before they are read: a regular file (not a folder, FIFO
or device), below a size limit, text in UTF-8.  Failures raise `UserError` with one line.
"""
from __future__ import annotations

import os
import stat

from .errors import UserError

FIGURE_FORMATS = (".png", ".pdf", ".svg", ".eps", ".ps", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")


def check_output(path, what: str, suffixes=None):
    """Refuse an output path that cannot be written, before the work that fills it.
    `suffixes`: the allowed extensions (lower case, with the dot), e.g. FIGURE_FORMATS."""
    if path is None:
        return None
    text = os.fspath(path)
    if not text.strip():
        raise UserError(f"{what}: empty path")
    if "\0" in text:
        raise UserError(f"{what}: the path contains a NUL byte")
    if text.endswith(("/", os.sep)) or os.path.isdir(text):
        raise UserError(f"{what} '{text}' is a folder; give a file name")
    if suffixes is not None:
        ext = os.path.splitext(text)[1].lower()
        if ext not in suffixes:
            raise UserError(f"{what} '{text}': format '{ext or '(none)'}' not supported "
                            f"(use {', '.join(suffixes)})")
    parent = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(parent):
        raise UserError(f"{what} '{text}': the folder '{parent}' does not exist")
    if os.path.exists(text):
        if not os.path.isfile(text):
            raise UserError(f"{what} '{text}' is not a regular file")
        if not os.access(text, os.W_OK):
            raise UserError(f"{what} '{text}' is not writable")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{what} '{text}': the folder '{parent}' is not writable")
    return text


def check_input(path, what: str, max_bytes: int, error=UserError):
    """A regular, readable file of at most `max_bytes`; returns its size.  `error`: the
    UserError subclass to raise (PriorError where a prior spec names the file)."""
    text = os.fspath(path) if path is not None else ""
    if not text.strip():
        raise error(f"{what}: empty path")
    if "\0" in text:
        raise error(f"{what}: the path contains a NUL byte")
    try:
        st = os.stat(text)
    except FileNotFoundError:
        raise error(f"{what} '{text}' not found") from None
    except OSError as exc:
        raise error(f"{what} '{text}' cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{what} '{text}' is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{what} '{text}' is not a regular file (a device, FIFO or socket)")
    if st.st_size > max_bytes:
        raise error(f"{what} '{text}' has {st.st_size} bytes; at most {max_bytes}")
    if not os.access(text, os.R_OK):
        raise error(f"{what} '{text}' is not readable")
    return st.st_size


def read_text(path, what: str, max_bytes: int, error=UserError) -> str:
    """The whole of a UTF-8 text file (a BOM is dropped); one-line errors otherwise."""
    check_input(path, what, max_bytes, error)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{what} '{path}' cannot be read ({exc.strerror})") from None
    if len(raw) > max_bytes:   # grew since the stat
        raise error(f"{what} '{path}' has more than {max_bytes} bytes")
    if b"\0" in raw:
        raise error(f"{what} '{path}' is a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{what} '{path}' is not UTF-8 text (byte {exc.start})") from None


def check_output_folder(path, what: str):
    """A folder to write into: an existing writable folder, or a new one in a writable
    parent (created here, so the work that follows can rely on it)."""
    text = os.fspath(path) if path is not None else ""
    if not text.strip():
        raise UserError(f"{what}: empty path")
    if "\0" in text:
        raise UserError(f"{what}: the path contains a NUL byte")
    if os.path.exists(text):
        if not os.path.isdir(text):
            raise UserError(f"{what} '{text}' exists and is not a folder")
        if not os.access(text, os.W_OK | os.X_OK):
            raise UserError(f"{what} '{text}' is not writable")
        return text
    parent = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(parent):
        raise UserError(f"{what} '{text}': the folder '{parent}' does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{what} '{text}': the folder '{parent}' is not writable")
    try:
        os.mkdir(text)
    except OSError as exc:
        raise UserError(f"{what} '{text}' cannot be created ({exc.strerror})") from None
    return text

"""JSONL record files: `validate --out`, `geometry train --records` (through `run_sweep`)
and `phase-diagram --cache`.  One {"task", "result", "versions"} object a line, appended
as work finishes; the task (as canonical JSON) is the key.

Reading survives what faults leave behind: an incomplete last line (a crash or a full
disk mid-write) is skipped and its task computed again; lines that are not UTF-8, not
JSON, or not records are skipped with a count; a task recorded twice (two runs on one
file) counts once, the first record; records of other package versions are used, with a
warning.  A folder, a binary file, or a file holding no records at all is refused.

Writing takes an exclusive `flock` per batch and first reads what other processes have
appended meanwhile, so two runs on one file never record a task twice.  The file is
opened only when there is something to write (a complete file on read-only media still
tabulates).  A write that fails (disk full, media gone read-only) is undone, and that
record and the rest go to a fallback file in the temp folder, named in the error.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import tempfile
import warnings
from importlib import metadata

from .common.errors import UserError
from .common.files import check_input, check_output

try:
    import fcntl
except ImportError:          # not POSIX: no locking, de-duplication on read still holds
    fcntl = None

MAX_BYTES = 1 << 32          # a record file is read whole: beyond 4 GB it is not one of ours
_SNIFF = 4096                # a NUL byte this early means a binary file, not records


def versions():
    """The versions recorded with every record."""
    out = {"python": sys.version.split()[0]}
    for pkg in ("replica", "numpy", "scipy", "mpmath", "clarabel", "numba"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def task_key(task: dict) -> str:
    return json.dumps(task, sort_keys=True)


def _record(line: bytes):
    """The record of one line, 'bad' (not UTF-8 or JSON) or 'foreign' (JSON, not a record)."""
    try:
        rec = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "bad"
    if not (isinstance(rec, dict) and isinstance(rec.get("task"), dict) and "result" in rec):
        return "foreign"
    return rec


class RecordFile:
    """The records of one file, read at once; `append` adds new ones under a lock."""

    def __init__(self, path, what="record file"):
        self.path = os.fspath(path)
        self.what = what
        self.records = {}        # task key -> the first record of that task
        self._offset = 0         # end of the last complete line read
        self._fd = None
        self._vers = None
        self.fallback = None     # the temp file records go to once a write to `path` failed
        self._fb_fd = None
        self._fb_error = None
        self._fb_written = 0
        self._error = None
        self._reported = False
        self.written = 0         # records this process wrote (to `path` or the fallback)
        self.skipped = 0         # records not written: another process had them first
        self._read()

    def __contains__(self, key):
        return key in self.records

    # ---------------------------------------------------------------- reading
    def _read(self):
        text = self.path
        if not os.path.lexists(text):
            return                                # a new file
        check_input(text, self.what, MAX_BYTES)   # a folder, FIFO, device or unreadable file: one line
        try:
            with open(text, "rb") as fh:
                _lock(fh.fileno(), shared=True)
                data = fh.read()
        except OSError as exc:
            raise UserError(f"{self.what} '{text}' cannot be read ({exc.strerror})") from None
        if b"\0" in data[:_SNIFF]:
            raise UserError(f"{self.what} '{text}' is a binary file, not JSONL records")
        lines = data.split(b"\n")
        tail = lines.pop()                       # b"" when the file ends with a newline
        self._offset = len(data) - len(tail)
        counts = {"bad": 0, "foreign": 0, "repeated": 0}
        for line in lines:
            if line.strip():
                self._take(line, counts)
        truncated = False
        if tail.strip():                         # no newline: complete only if it parses as a record
            truncated = _record(tail) == "bad"
            if not truncated:
                self._take(tail, counts)
        bad = counts["bad"] + counts["foreign"]
        if bad and not self.records:
            raise UserError(f"{self.what} '{text}' holds no records ({bad} line(s), none a JSON "
                            f"{{\"task\", \"result\"}} record); give another file name")
        if truncated:
            warnings.warn(f"{self.what} '{text}': the last line is incomplete (a crash or a full disk while "
                          f"writing); it is skipped and its task computed again")
        if bad:
            warnings.warn(f"{self.what} '{text}': {bad} line(s) skipped, not records "
                          f"({counts['bad']} not UTF-8 JSON, {counts['foreign']} without task/result)")
        if counts["repeated"]:
            warnings.warn(f"{self.what} '{text}': {counts['repeated']} record(s) repeat the task of an earlier "
                          f"one (two runs on one file?); the first of each is used")
        self._warn_versions()

    def _take(self, line, counts):
        rec = _record(line)
        if not isinstance(rec, dict):
            counts[rec] += 1
            return
        key = task_key(rec["task"])
        if key in self.records:
            counts["repeated"] += 1
        else:
            self.records[key] = rec

    def _warn_versions(self):
        now = versions()
        other = [r for r in self.records.values() if r.get("versions") != now]
        if not other:
            return
        v = other[0].get("versions")
        diff = ([f"{k} {v.get(k)}" for k in now if v.get(k) != now[k]] or ["other fields"]
                if isinstance(v, dict) else ["none recorded"])
        warnings.warn(f"{self.what} '{self.path}': {len(other)} of {len(self.records)} records were written by "
                      f"other package versions (e.g. {', '.join(diff[:3])}); they are used as they are")

    # ---------------------------------------------------------------- writing
    def check_writable(self):
        """UserError now, before the work, if records could not be appended."""
        check_output(self.path, self.what)

    def append(self, items):
        """Append (task, result) pairs not recorded yet (by this or another process)."""
        if self._vers is None:
            self._vers = versions()
        recs = [{"task": t, "result": r, "versions": self._vers} for t, r in items]
        if self._error is None:
            try:
                recs = self._append_locked(recs)
            except OSError as exc:
                self._error = exc
                self._open_fallback()
        if recs:
            self._write_fallback(recs)

    def _append_locked(self, recs):
        """Write `recs` to the file under the lock; returns those not written (all, on failure)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        fd = self._fd
        _lock(fd)
        try:
            end, sep = self._catch_up(fd)
            new = []
            for rec in recs:
                key = task_key(rec["task"])
                if key in self.records:
                    self.skipped += 1
                    continue
                self.records[key] = rec
                new.append(rec)
            if not new:
                return []
            data = sep + "".join(json.dumps(rec) + "\n" for rec in new).encode("utf-8")
            try:
                _write_all(fd, data)
            except OSError:
                for rec in new:
                    del self.records[task_key(rec["task"])]
                try:                     # undo a partial line, so the file stays readable
                    os.ftruncate(fd, end)
                except OSError:
                    pass
                raise
            self._offset = end + len(data)
            self.written += len(new)
            return []
        finally:
            _unlock(fd)

    def _catch_up(self, fd):
        """Read what others appended since our last read (we hold the lock).  Returns the
        file's end and the bytes to write first: an incomplete last line left by a crash
        (no writer holds the lock) is cut off; a complete record missing its newline gets one."""
        end = os.fstat(fd).st_size
        if end < self._offset:           # the file was cut short by someone: read it all again
            self._offset = 0
        if end == self._offset:
            return end, b""
        data = os.pread(fd, end - self._offset, self._offset)
        lines = data.split(b"\n")
        tail = lines.pop()
        counts = {"bad": 0, "foreign": 0, "repeated": 0}
        for line in lines:
            if line.strip():
                self._take(line, counts)
        complete = self._offset + len(data) - len(tail)
        if not tail:
            return end, b""
        if isinstance(_record(tail), dict):
            self._take(tail, counts)
            return end, b"\n"
        os.ftruncate(fd, complete)
        return complete, b""

    def _open_fallback(self):
        base = os.path.basename(self.path)
        stem = base[:-6] if base.endswith(".jsonl") else base
        try:
            self._fb_fd, self.fallback = tempfile.mkstemp(prefix=f"replica-{stem}-", suffix=".jsonl")
        except OSError as exc:
            self._fb_error = exc

    def _write_fallback(self, recs):
        """Records the file could not take; when the fallback fails too, stop the work now."""
        if self._fb_fd is not None and self._fb_error is None:
            data = "".join(json.dumps(rec) + "\n" for rec in recs).encode("utf-8")
            try:
                _write_all(self._fb_fd, data)
            except OSError as exc:
                self._fb_error = exc
            else:
                if not self._fb_written:
                    warnings.warn(f"could not write to {self.what} '{self.path}' ({_why(self._error)}); the "
                                  f"records from now on go to '{self.fallback}'")
                for rec in recs:
                    self.records.setdefault(task_key(rec["task"]), rec)
                self.written += len(recs)
                self._fb_written += len(recs)
                return
        self.close()

    @property
    def failed(self):
        return self._error is not None

    def saved_in(self):
        """Where this process's records went (for messages)."""
        if not self._fb_written:
            return f"'{self.path}'"
        return f"'{self.path}' and, {self._fb_written} of them, '{self.fallback}' (append it to the first)"

    def close(self):
        """Close the file; UserError (one line) if a write failed, naming the fallback."""
        for fd in (self._fd, self._fb_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fd = self._fb_fd = None
        if self._error is None or self._reported:
            return
        self._reported = True
        if self._fb_error is not None:
            kept = ""
            if self.fallback and self._fb_written:
                kept = f"; {self._fb_written} records computed before are in '{self.fallback}'"
            elif self.fallback:
                with contextlib.suppress(OSError):
                    os.unlink(self.fallback)
            raise UserError(f"could not write to {self.what} '{self.path}' ({_why(self._error)}) nor to a fallback "
                            f"file in {tempfile.gettempdir()} ({_why(self._fb_error)}): the work stops here{kept}")
        raise UserError(f"could not write to {self.what} '{self.path}' ({_why(self._error)}); the "
                        f"{self._fb_written} records it did not take are in '{self.fallback}': append them "
                        f"(cat '{self.fallback}' >> '{self.path}') once there is room, and rerun")


def _why(exc):
    return exc.strerror or str(exc)


def _write_all(fd, data: bytes):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "short write")
        view = view[n:]


def _lock(fd, shared=False):
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        except OSError:          # a file system without flock: go on unlocked
            pass


def _unlock(fd):
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:
            pass

"""The bad-input corpus: every malformed or hostile input of the reliability report
(shared/findings/reliability.md) and more, each with the outcome it must have.

Case files `corpus/*.txt` hold one case a line, shell-quoted:

    EXPECT[@SECONDS] PATTERN replica-arguments...

EXPECT is `error` (exit 2, one line `replica: error: ...`), `refused` (exit 3, one line
`replica: refused: ...` or `replica: solver did not converge: ...`), `ok` (exit 0) or
`differs` (exit 1, `replica check` finding a difference); `a|b` allows either.  PATTERN is a
regular expression searched in the error line (error, refused) or in stdout + stderr (ok,
differs); `-` matches anything.  SECONDS overrides the time limit (default 30).
Placeholders: {fz} the folder of malformed files (fixtures.py), {tmp} the case's own empty
folder (also its working directory), {canary} a file that must never be created,
{copy:NAME} a fresh copy of {fz}/NAME in {tmp}, {rep:TEXT:N} TEXT repeated N times.

`run_case` calls `replica.cli.main` in this process under a SIGALRM time limit (the
corpus test); `python tests/bad_inputs/harness.py [--fork]` classifies the whole corpus and
prints the counts by outcome (--fork runs each case in a forked child with a hard kill and
a 4 GB memory limit, for code that may hang where a signal cannot interrupt it).
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import time
import warnings
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
DEFAULT_LIMIT = 30.0
RC_KIND = {0: "ok", 1: "differs", 2: "error", 3: "refused"}
_PLACEHOLDER = re.compile(r"\{(fz|tmp|canary|copy:[^{}]+|rep:[^{}:]*:\d+)\}")


@dataclasses.dataclass(frozen=True)
class Case:
    file: str
    line: int
    expect: tuple
    pattern: str
    argv: tuple
    limit: float

    @property
    def id(self):
        return f"{self.file}:{self.line}"


@dataclasses.dataclass
class Outcome:
    rc: object            # exit status, or "timeout" / "traceback"
    out: str
    err: str
    seconds: float
    trace: str = ""


class CaseTimeout(BaseException):
    """Raised by the alarm: a BaseException so that no `except Exception` swallows it."""


def load_cases(corpus=CORPUS):
    cases = []
    for path in sorted(Path(corpus).glob("*.txt")):
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            toks = shlex.split(line)
            head, pattern, argv = toks[0], toks[1], tuple(toks[2:])
            kinds, _, limit = head.partition("@")
            expect = tuple(kinds.split("|"))
            if not argv or any(k not in RC_KIND.values() for k in expect):
                raise ValueError(f"{path.name}:{n}: malformed case line")
            cases.append(Case(path.name, n, expect, pattern, argv, float(limit or DEFAULT_LIMIT)))
    return cases


def expand(argv, fz, tmp, canary):
    def sub(m):
        key = m.group(1)
        if key == "fz":
            return str(fz)
        if key == "tmp":
            return str(tmp)
        if key == "canary":
            return str(canary)
        if key.startswith("copy:"):
            name = key[5:]
            dst = os.path.join(tmp, name)
            shutil.copyfile(os.path.join(fz, name), dst)
            return dst
        _, text, count = key.split(":")
        return text * int(count)

    return [_PLACEHOLDER.sub(sub, a) for a in argv]


def _alarm(signum, frame):
    raise CaseTimeout()


def _to_stderr(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def run_case(case, fz, tmp, canary):
    """Run one case through replica.cli.main in this process; returns an Outcome."""
    from replica.cli import main

    argv = expand(case.argv, fz, tmp, canary)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    old = signal.signal(signal.SIGALRM, _alarm)
    t0 = time.time()
    rc, trace = None, ""
    try:
        os.chdir(tmp)
        signal.setitimer(signal.ITIMER_REAL, case.limit)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            # as on a terminal: warnings reach stderr (pytest would otherwise record them)
            warnings.showwarning = _to_stderr
            try:
                rc = main(argv) or 0
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CaseTimeout:
        rc = "timeout"
    except BaseException:  # noqa: BLE001 - anything escaping main is a traceback the user would see
        rc, trace = "traceback", traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(cwd)
    return Outcome(rc, out.getvalue(), err.getvalue(), time.time() - t0, trace)


def _message_lines(err):
    """stderr without warnings and progress lines: what is left must be the one error line."""
    lines = []
    for raw in err.replace("\r", "\n").splitlines():
        s = raw.strip()
        if s and not s.startswith("replica: warning:") and not re.match(r"^(row )?\d+/\d+ ", s):
            lines.append(s)
    return lines


def judge(case, o):
    """None if the outcome is the expected one, else the reason it is not."""
    if o.rc == "timeout":
        return f"no result within {case.limit:g} s"
    if o.rc == "traceback":
        return "exception escaped main():\n" + o.trace[-3000:]
    if "Traceback (most recent call last)" in o.err:
        return "a traceback was printed:\n" + o.err[-3000:]
    kind = RC_KIND.get(o.rc, f"exit {o.rc}")
    if kind not in case.expect:
        tail = (o.err.strip().splitlines() or [""])[-1][:300]
        return f"{kind} (exit {o.rc}), expected {'|'.join(case.expect)}: {tail!r}"
    if kind in ("error", "refused"):
        lines = _message_lines(o.err)
        if len(lines) != 1:
            return f"expected one message line, got {len(lines)}: {lines[:5]}"
        head = r"replica: error: " if kind == "error" else r"replica: (refused|solver did not converge): "
        m = re.match(head + r"(.*)", lines[0])
        if not m or not m.group(m.lastindex).strip():
            return f"not a '{head}...' line with a reason: {lines[0]!r}"
        if case.pattern != "-" and not re.search(case.pattern, lines[0]):
            return f"message {lines[0]!r} does not match {case.pattern!r}"
        return None
    if case.pattern != "-" and not re.search(case.pattern, o.out + "\n" + o.err):
        return f"output does not match {case.pattern!r}:\n{(o.out + o.err)[-1500:]}"
    return None


# ---------------------------------------------------------------- classification (before/after counts)
def classify(case, o):
    """The reliability report's categories."""
    if o.rc in ("timeout", "traceback") or "Traceback (most recent call last)" in o.err:
        return "hang" if o.rc == "timeout" else "traceback"
    lines = _message_lines(o.err)
    if o.rc == 2:
        return "clean error" if len(lines) == 1 and lines[0].startswith("replica: error: ") else "messy exit 2"
    if o.rc == 3:
        text = lines[0].split(":", 2)[-1].strip() if lines else ""
        return "rc 3 with a reason" if text else "rc 3, empty message"
    verdict = judge(case, o)
    if o.rc in (0, 1):
        return "exit 0, as expected" if verdict is None else "exit 0/1, wrong or unexpected"
    return f"exit {o.rc}"


def _run_forked(case, fz, tmp, canary, memory=4 << 30):
    import json
    import resource

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: bounded memory, then the in-process run
        os.close(r)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            o = run_case(case, fz, tmp, canary)
            payload = json.dumps(dataclasses.asdict(o)).encode()
        except BaseException as exc:  # noqa: BLE001
            payload = json.dumps({"rc": "traceback", "out": "", "err": "", "seconds": 0,
                                  "trace": repr(exc)}).encode()
        with os.fdopen(w, "wb") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(w)
    deadline = time.time() + case.limit + 10
    chunks = []
    os.set_blocking(r, False)
    while True:
        try:
            b = os.read(r, 1 << 16)
            if b:
                chunks.append(b)
            elif b == b"":
                break
        except BlockingIOError:
            if time.time() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.02)
    os.close(r)
    os.waitpid(pid, 0)
    if not chunks:
        return Outcome("timeout", "", "", case.limit)
    return Outcome(**json.loads(b"".join(chunks)))


def main(argv=None):
    import argparse
    import collections

    ap = argparse.ArgumentParser(description="classify the bad-input corpus by outcome")
    ap.add_argument("--fork", action="store_true", help="each case in a forked child (hard kill, 4 GB)")
    ap.add_argument("--limit", type=float, help="time limit per case (default: the case's)")
    ap.add_argument("--show", action="store_true", help="print every case that is not as expected")
    args = ap.parse_args(argv)
    from fixtures import make_fixtures  # run as a script: this folder is on sys.path

    counts, failed = collections.Counter(), 0
    with tempfile.TemporaryDirectory() as root:
        fz = os.path.join(root, "fz")
        os.makedirs(fz)
        make_fixtures(fz)
        for k, case in enumerate(load_cases()):
            if args.limit:
                case = dataclasses.replace(case, limit=args.limit)
            tmp = os.path.join(root, f"case{k}")
            os.makedirs(tmp)
            canary = os.path.join(root, f"canary{k}")
            o = (_run_forked if args.fork else run_case)(case, fz, tmp, canary)
            cat = classify(case, o)
            if os.path.exists(canary):
                cat = "CANARY (code execution)"
            counts[cat] += 1
            verdict = judge(case, o)
            if verdict is not None:
                failed += 1
                if args.show:
                    print(f"{case.id} [{cat}] {' '.join(case.argv)[:140]}\n    {verdict.splitlines()[0][:300]}")
    total = sum(counts.values())
    print(f"{total} cases; not as expected: {failed}")
    for cat, n in counts.most_common():
        print(f"  {n:4d}  {cat}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())

"""The README runs as written: every command of its code blocks, in order, in one folder
(outputs of one command feed the next: `geometry train` writes the files `geometry fit`
reads).  Long runs have a short variant below with the same subcommand and options, only
smaller sizes; a README command with neither a run nor a short variant fails the test, so
a new README command is covered the day it is written."""
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from replica.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"

# README command (as shlex reads it) -> the short variant run instead, and why
SHORT = {
    "replica validate capacity --prior lognormal:sigma=1 --n 50,100 --alpha 0.55:0.9:8 --samples 16 --figure cap.png":
        "replica validate capacity --prior lognormal:sigma=1 --n 20 --alpha 0.55:0.9:2 --samples 2 --sweeps 300 "
        "--workers 1 --quiet --figure cap.png",
    "replica validate capacity --prior gaussian --n 50,100,200 --alpha 1.6:2.4:9 --samples 100":
        "replica validate capacity --prior gaussian --n 20 --alpha 1.6:2.4:2 --samples 2 --workers 1 --quiet",
    "replica validate kappa --prior sign --n 50,100,200 --alpha 0.2:0.8:4 --samples 48":
        "replica validate kappa --prior sign --n 20 --alpha 0.2:0.8:2 --samples 2 --workers 1 --quiet",
    "replica validate teacher-student --teacher lognormal:sigma=1 --student spherical --student lognormal:sigma=1 "
    "--alpha 0.5,1,2,4":
        "replica validate teacher-student --teacher lognormal:sigma=1 --student spherical --student lognormal:sigma=1 "
        "--alpha 0.5,1 --n 20 --samples 2 --sweeps 300 --workers 1 --quiet",
    "replica validate teacher-student --teacher gaussian --student spherical --rule gibbs --alpha 0.5,1,2 --sweeps 400":
        "replica validate teacher-student --teacher gaussian --student spherical --rule gibbs --alpha 0.5,1 "
        "--sweeps 50 --n 20 --samples 2 --workers 1 --quiet",
    "replica geometry train --potential entropic --init lognormal:sigma=0.5 --n 2000 --alpha 0.1 --out-before b.npy "
    "--out-after a.npy":
        "replica geometry train --potential entropic --init lognormal:sigma=0.5 --n 300 --alpha 0.1 --steps 300 "
        "--out-before b.npy --out-after a.npy",
    "replica phase-diagram alpha_c --prior ei:fE=0.8 --x sigmaE=0.05:2.5:100 --y sigmaI=0.05:2.5:100 --figure ei.png":
        "replica phase-diagram alpha_c --prior ei:fE=0.8 --x sigmaE=0.05:2.5:8 --y sigmaI=0.05:2.5:8 --figure ei.png "
        "--workers 1 --quiet",
    "replica phase-diagram q --prior binary --x alpha=0.02:1.25:100 --y kappa=0:1:100 --lines --figure q.png "
    "--cache q.jsonl":
        "replica phase-diagram q --prior binary --x alpha=0.02:1.25:3 --y kappa=0:1:2 --lines --figure q.png "
        "--cache q.jsonl --workers 1 --quiet",
    "replica teacher-student --teacher lognormal:sigma=1 --optimize-student lognormal --alpha 0.1:2:3":
        "replica teacher-student --teacher lognormal:sigma=1 --optimize-student lognormal --alpha 0.5",
    "replica teacher-student --teacher lognormal:sigma=1 --student lognormal:sigma=1 --alpha 1:10:4":
        "replica teacher-student --teacher lognormal:sigma=1 --student lognormal:sigma=1 --alpha 1:10:1",
    "replica teacher-student --teacher lognormal:sigma=1 --student "
    "geometry:potential=euclidean,init=lognormal(sigma=0.5),dual_std=0.3 --alpha 1:10:4":
        "replica teacher-student --teacher lognormal:sigma=1 --student "
        "geometry:potential=euclidean,init=lognormal(sigma=0.5),dual_std=0.3 --alpha 1:10:1",
    "replica capacity --prior binary": "replica capacity --prior binary --dps 15",
    "replica phase-diagram eps_g --teacher lognormal:sigma=1 --student lognormal --x alpha=0.5:5:10 "
    "--y student.sigma=0.3:1.5:13":
        "replica phase-diagram eps_g --teacher lognormal:sigma=1 --student lognormal --x alpha=0.5:5:1 "
        "--y student.sigma=0.3:1.5:1 --workers 1 --quiet",
}
# README commands another test already runs in full or in a short form (running them twice
# would double the suite's slowest minutes): command -> (test module, test function, what it runs)
COVERED = {
    "replica reproduce figures/":
        ("test_phase_diagram", "test_reproduce_quick_writes_every_figure_and_table", "reproduce --quick"),
    "replica teacher-student --teacher lognormal:sigma=1 --compare --alpha 0.5:10:4":
        ("test_teacher_student", "test_compare_students_cli", "teacher-student --compare --alpha 2"),
}
# not replica commands: the install is what the test runs in, the test suite is this test's own
NOT_RUN = ("pip install", "python -m pytest")


def readme_steps():
    """[(kind, item)]: ('sh', words of one shell command) or ('py', the source of a python block)."""
    steps = []
    for lang, body in re.findall(r"```(\w+)\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        if lang == "python":
            steps.append(("py", body))
            continue
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words:
                cut = words.index("&&") if "&&" in words else len(words)
                steps.append(("sh", words[:cut]))
                words = words[cut + 1:]
    return steps


def _replica(command):
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    assert argv[0] == "replica", command
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            rc = main(argv[1:]) or 0
        except SystemExit as exc:
            rc = exc.code
    assert rc == 0, f"{command}\nexit {rc}\n{err.getvalue()[-2000:]}"
    return out.getvalue()


def test_readme_commands_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ran = []
    for kind, item in readme_steps():
        if kind == "py":
            exec(compile(item, "README.md", "exec"), {})  # noqa: S102 - the README's own example
            continue
        key = " ".join(item)
        if key.startswith(NOT_RUN):
            continue
        if item[0] == "echo" and len(item) == 4 and item[2] == ">":
            (tmp_path / item[3]).write_text(item[1] + "\n", encoding="utf-8")
            continue
        assert item[0] == "replica", f"README line the test cannot run: {key}"
        ran.append(key)
        if key in COVERED:
            continue
        _replica(SHORT[key] if key in SHORT else item)
    assert len(ran) >= 30
    unused = (set(SHORT) | set(COVERED)) - set(ran)
    assert not unused, f"short variants of commands no longer in the README: {unused}"


@pytest.mark.parametrize("command", list(COVERED))
def test_covered_commands_have_their_test(command):
    import importlib
    module, name, what = COVERED[command]
    assert callable(getattr(importlib.import_module(module), name, None)), f"{module}.{name} runs {what}"
    assert shlex.split(command)[1] == what.split()[0]


@pytest.mark.parametrize("long, short", list(SHORT.items()))
def test_short_variants_keep_the_command(long, short):
    """A short variant runs the same subcommand with the README's options (sizes may change)."""
    opts = lambda c: {w for w in shlex.split(c) if w.startswith("--")}  # noqa: E731
    a, b = shlex.split(long), shlex.split(short)
    assert a[:3] == b[:3] or a[:2] == b[:2]
    assert opts(long) <= opts(short)

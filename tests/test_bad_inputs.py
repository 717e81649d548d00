"""Every input of the bad-input corpus (tests/bad_inputs/corpus, see harness.py) gives its
expected outcome through replica.cli.main, in this process, within its time limit: one
`replica: error:` line (exit 2), a reasoned refusal (exit 3) or a correct result; never a
traceback, a hang, or a file created by injected code."""
import os

import pytest

from bad_inputs.fixtures import make_fixtures
from bad_inputs.harness import judge, load_cases, run_case

CASES = load_cases()


@pytest.fixture(scope="module")
def fz(tmp_path_factory):
    return make_fixtures(tmp_path_factory.mktemp("fz"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, fz, tmp_path):
    canary = tmp_path.parent / f"canary-{tmp_path.name}"
    work = tmp_path / "work"
    work.mkdir()
    outcome = run_case(case, fz, work, canary)
    assert not os.path.exists(canary), "injected code created the canary file"
    verdict = judge(case, outcome)
    assert verdict is None, f"{' '.join(case.argv)}\n{verdict}"


def test_corpus_is_large_and_covers_every_command():
    commands = {c.argv[0] for c in CASES}
    assert {"capacity", "curve", "derive", "check", "teacher-student", "validate", "phase-diagram", "table",
            "reproduce", "geometry", "priors"} <= commands
    assert len(CASES) >= 250

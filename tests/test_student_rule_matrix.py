"""Every --student kind x --rule of `replica teacher-student` is computed (exit 0, a row of
numbers) or refused with one `replica: error:` line naming the reason (issue 15 item 8;
`--teacher gaussian --student bayes` crashed on kappa None with the default rule)."""
import re

import pytest

from replica.cli import main

STUDENTS = ["spherical", "sign", "bayes", "soft:gaussian", "gaussian", "binary"]
RULES = [None, "max-margin", "gibbs"]
# the combinations that are not defined, and the reason each must give
REFUSED = {("bayes", "max-margin"): "posterior mean, not max-margin",
           ("soft:gaussian", "max-margin"): "Gibbs learning"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r or "default")
@pytest.mark.parametrize("student", STUDENTS)
def test_every_student_and_rule_is_computed_or_refused(student, rule, capsys):
    argv = ["teacher-student", "--teacher", "gaussian", "--student", student, "--alpha", "1"]
    if rule:
        argv += ["--rule", rule]
    try:
        rc = main(argv) or 0
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    if (student, rule) in REFUSED:
        assert rc == 2
        lines = [s for s in err.splitlines() if s.strip()]
        assert len(lines) == 1 and lines[0].startswith("replica: error: ") and REFUSED[student, rule] in lines[0]
        return
    assert rc == 0, err
    row = [s for s in out.splitlines() if re.match(r"\s+1(\.0+)?\s", s)]
    assert row, out
    numbers = re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", row[0])
    assert len(numbers) >= 3, row[0]       # R, q, eps_g at least
    eps = [float(x) for x in numbers if 0 < float(x) < 0.5]
    assert eps, row[0]                     # a generalization error in (0, 1/2) at alpha = 1

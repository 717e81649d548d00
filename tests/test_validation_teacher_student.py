"""Max-margin teacher-student by QP against E8 (small seeded run, 1/N extrapolation,
tolerance 3 standard errors of the intercept)."""
import pytest

import replica
from validation.teacher_student_sim import eps_curve


@pytest.mark.parametrize("teacher, student, sign", [("gaussian", "spherical", False),
                                                    ("lognormal:sigma=1", "sign", True)])
def test_max_margin_eps_matches_e8(teacher, student, sign):
    _, (eps, se) = eps_curve(teacher, [50, 100, 150], 2.0, 24, sign)
    theory = replica.teacher_student(teacher, student, "max-margin", [2.0])[0].eps_g
    assert abs(eps - theory) < 3 * se and se < 0.01

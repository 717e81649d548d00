"""Teacher-student simulation against E5-E8 (small seeded runs, 1/N extrapolation where
there are several N; tolerance 3 standard errors from the measured spread)."""
import numpy as np
import pytest

import replica
from validation.gibbs_sampler import spherical_gibbs
from validation.teacher_student_sim import simulate_teacher_student, teacher_sample


def _theory(teacher, student, rule, alpha):
    return replica.teacher_student(teacher, student, rule, [alpha])[0]


@pytest.mark.parametrize("teacher, student", [("gaussian", "spherical"), ("lognormal:sigma=1", "sign")])
def test_qp_max_margin_eps_matches_e8(teacher, student, tmp_path):
    rep = simulate_teacher_student(teacher, student, "max-margin", [50, 100, 150], [2.0], 24,
                                   str(tmp_path / "ts.jsonl"), progress=False)
    eps, se = rep.extrapolated[2.0]
    theory = _theory(teacher, student, "max-margin", 2.0).eps_g
    assert abs(eps - theory) < 3 * se and se < 0.01, (eps, se, theory)


def test_spherical_gibbs_sampler_matches_e5_e6(tmp_path):
    """Gibbs learning, alpha = 1.5: R = 0.62999... (E5-E6 on the Nishimori line)."""
    rep = simulate_teacher_student("gaussian", "spherical", "gibbs", [60, 120], [1.5], 16,
                                   str(tmp_path / "g.jsonl"), sweeps=400, progress=False)
    theory = _theory("gaussian", "spherical", "gibbs", 1.5)
    assert abs(theory.R - 0.6299975) < 1e-6
    eps, se = rep.extrapolated[1.5]
    assert abs(eps - theory.eps_g) < 3 * se and se < 0.02, (eps, se, theory.eps_g)


def test_gibbs_chains_from_two_starts_agree():
    """Equilibration: started at the teacher (R = 1) and at a random interior point the
    chains give the same R within their batch-means errors."""
    w0, x, y = teacher_sample("gaussian", 80, 1.0, 7)
    a = spherical_gibbs(x, y, w0, w0, sweeps=3000, rng=1)
    from validation.max_margin import max_margin
    b = spherical_gibbs(x, y, max_margin(x, y).w, w0, sweeps=3000, rng=2)
    assert abs(a.R - b.R) < 4 * np.hypot(a.R_se, b.R_se) + 1e-3
    assert a.trace.max() < 1


def test_lognormal_constrained_students_match_theory(tmp_path):
    """Distribution-constrained (lognormal) student and teacher, alpha = 1: Gibbs (swap walk
    in the version space, N = 100) and max-margin (ratcheted swap annealing, N = 200; at
    N = 50..400 its eps_g showed no trend beyond the errors, 16 samples each)."""
    spec = "lognormal:sigma=1"
    g = simulate_teacher_student(spec, spec, "gibbs", [100], [1.0], 8, str(tmp_path / "a.jsonl"),
                                 sweeps=1000, progress=False).rows[0]
    tg = _theory(spec, spec, "gibbs", 1.0)
    assert abs(g.R - tg.R) < 3 * g.R_se, (g.R, g.R_se, tg.R)
    m = simulate_teacher_student(spec, spec, "max-margin", [200], [1.0], 8, str(tmp_path / "b.jsonl"),
                                 sweeps=10000, progress=False).rows[0]
    tm = _theory(spec, spec, "max-margin", 1.0)
    assert abs(m.eps_g - tm.eps_g) < 3 * m.eps_se, (m.eps_g, m.eps_se, tm.eps_g)


def test_sign_constrained_gibbs_sampler_matches_theory(tmp_path):
    """Gibbs learning of a w >= 0 student (coordinate Gibbs sampler on cone x orthant) against
    the truncated-Gaussian RS solution, lognormal teacher, alpha = 1, N = 100 and 200."""
    rep = simulate_teacher_student("lognormal:sigma=1", "sign", "gibbs", [100, 200], [1.0], 12,
                                   str(tmp_path / "s.jsonl"), sweeps=400, progress=False)
    th = _theory("lognormal:sigma=1", "sign", "gibbs", 1.0)
    for r in rep.rows:
        assert abs(r.R - th.R) < 3 * r.R_se, (r.n, r.R, r.R_se, th.R)


def test_sign_student_version_space_ends_for_a_signed_teacher():
    """A Gaussian teacher's labels stop being separable with w >= 0 where the max margin of
    the sign-constrained student reaches 0 (E8: alpha = 1.3477); Gibbs reports the empty
    version space beyond."""
    from scipy import optimize

    a_end = optimize.brentq(lambda a: _theory("gaussian", "sign", "max-margin", a).kappa, 1.0, 2.0, xtol=1e-8)
    assert abs(a_end - 1.34767) < 1e-4
    pts = replica.teacher_student("gaussian", "sign", "gibbs", [1.0, 2.0])
    assert 0 < pts[0].R < 1 and pts[0].q < 0.95
    assert np.isnan(pts[1].R) and "version space empty" in pts[1].branch


def test_theory_error_enters_the_deviation():
    from types import SimpleNamespace as NS

    from validation.reports import ts_table

    row = NS(alpha=1.0, n=100, samples=24, eps_g=0.20, eps_se=0.003, R=0.8, R_se=0.01)
    rep = NS(teacher="lognormal:sigma=1", student="lognormal:sigma=1", rule="max-margin", rows=[row],
             extrapolated={1.0: (0.21, 0.003)})
    plain = ts_table([rep], [{1.0: 0.194}])
    with_err = ts_table([rep], [{1.0: 0.194}], theory_errors=[{1.0: 0.004}])
    assert "| +2.00 |" in plain and "| +5.33 |" in plain          # 0.006 / 0.003, 0.016 / 0.003
    assert "| 4.0e-03 | +1.20 |" in with_err and "| +3.20 |" in with_err   # over hypot(0.003, 0.004) = 0.005

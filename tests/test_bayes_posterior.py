"""The Bayes-optimal student on a continuous law as a continuous measure (solvers.posterior,
THEORY.md E5-E7 and section 3): against the spherical Nishimori line in closed form for a
Gaussian teacher, and against an independent mpmath quadrature of the same integrals."""
import numpy as np
import pytest

import replica
from solvers import constraints as C, fixed_point as fp, posterior as P
from solvers.channels import Teacher

# 1 - q = int du [M2 - M1^2/N0] by mpmath quad at dps 20 over the law's pdf (not its
# quantile function), windows +-12 sigma around u, u up to 3000 for lognormal's tail
MP_Q = {("uniform", 0.5): 0.33837367370442587, ("uniform", 5.0): 0.84664090280991367,
        ("uniform", 50.0): 0.98147491499113997,
        ("lognormal:sigma=1", 0.5): 0.6697557704276994, ("lognormal:sigma=1", 5.0): 0.90807430537042814,
        ("lognormal:sigma=1", 50.0): 0.98480683723928375}


@pytest.mark.parametrize("qh", [1e-3, 0.3, 3.0, 300.0, 1e5])
def test_gaussian_prior_map_is_qh_over_1_plus_qh(qh):
    law = P.LawQuadrature(replica.prior("gaussian").normalized())
    for lay in (P.FINE, P.COARSE):
        assert abs(P.nishimori(law, qh, lay).q - qh / (1 + qh)) < 2e-13


@pytest.mark.parametrize("spec,qh", sorted(MP_Q))
def test_map_against_mpmath(spec, qh):
    law = P.LawQuadrature(replica.prior(spec).normalized())
    assert abs(P.nishimori(law, qh).q - MP_Q[spec, qh]) < 1e-13


def test_gaussian_teacher_equals_spherical_closed_form():
    """eps_g = arccos(sqrt q)/pi with q = qh/(1+qh) on the Nishimori line, to 1e-12 up to
    alpha = 100 (the atom surrogate was 5.6 % off at alpha = 8 and crashed from 10); the
    printed error is positive and bounds the actual one."""
    alphas = [1.0, 8.0, 10.0, 50.0, 100.0]
    pts = replica.teacher_student("gaussian", "bayes", None, alphas)
    for p in pts:
        q = fp.nishimori_branches(C.Spherical(), Teacher(), p.alpha)[0][0]
        exact = np.arccos(np.sqrt(q)) / np.pi
        assert abs(p.eps_g - exact) < 1e-12 and 0 < p.eps_error < 1e-11
        assert abs(p.eps_g - exact) <= p.eps_error + 2e-16


def test_lognormal_teacher_error_is_reported():
    (p,) = replica.teacher_student("lognormal:sigma=1", "bayes", None, [2.0])
    assert 0 < p.eps_error < 1e-9 and abs(p.q - 0.90203032) < 1e-8


def test_free_entropy_is_stationary_in_qhat():
    """G_S(q, qhat) on the Nishimori line is stationary in qhat at q = map(qhat) (E5)."""
    con = C.Bayes(replica.prior("uniform").normalized())
    for qh in (0.4, 7.0):
        q = con.nishimori_map(qh)
        h = 1e-4 * qh
        d = (con.nishimori_entropic(q, qh + h) - con.nishimori_entropic(q, qh - h)) / (2 * h)
        assert abs(d) < 1e-8


def test_mixed_law_keeps_its_atom():
    """rectified (an atom at 0 and a half-normal): the fine and the coarse layouts agree."""
    law = P.LawQuadrature(replica.prior("rectified").normalized())
    for qh in (0.5, 50.0, 5e4):
        assert abs(P.nishimori(law, qh, P.FINE).q - P.nishimori(law, qh, P.COARSE).q) < 1e-12

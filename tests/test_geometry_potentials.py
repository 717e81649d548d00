"""Mirror-descent potentials: identities (inverse round trips, Hessian = d phi'/dw, sympy =
numpy = mpmath), domains, and refusal of potentials mirror descent cannot use."""
import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from replica.geometry import potential
from replica.geometry.potentials import THETA, W
from replica.priors import PriorError
from solvers.geometry import invert_monotone

SPECS = ["euclidean", "entropic", "pnorm:p=3", "pnorm(p=1.5)", "user:grad=sinh(w)", "user:phi=w^4/4+w^2/2",
         "user:grad=log(w)+w,domain=0|inf"]


def _points(pot):
    return np.array([0.05, 0.4, 1.0, 2.5, 7.0]) if pot.lo == 0 else np.array([-3.0, -0.7, 0.2, 1.0, 4.0])


@pytest.mark.parametrize("spec", SPECS)
def test_inverse_round_trips_and_hessian_is_the_derivative(spec):
    pot = potential(spec)
    w = _points(pot)
    theta = pot.grad(w)
    assert np.allclose(pot.inv_grad(theta), w, rtol=1e-13, atol=1e-14)
    h = 1e-6
    fd = (pot.grad(w + h) - pot.grad(w - h)) / (2 * h)
    assert np.allclose(pot.hess(w), fd, rtol=1e-6)
    assert np.all(np.diff(theta) > 0)  # phi' increasing: strictly convex
    mp.mp.dps = 40
    for x in w:
        x = mp.mpf(x)
        assert abs(pot.mp_inv_grad(pot.mp_grad(x)) - x) < mp.mpf(10) ** -35 * (1 + abs(x))


@pytest.mark.parametrize("spec", SPECS[:4] + ["user:phi=w^4/4+w^2/2"])
def test_sympy_numpy_and_mpmath_agree(spec):
    pot = potential(spec)
    w = _points(pot)
    grad = sp.lambdify(W, pot.sym_grad(), "numpy")
    hess = sp.lambdify(W, pot.sym_hess(), "numpy")
    assert np.allclose(grad(w), pot.grad(w), rtol=1e-14)
    assert np.allclose(hess(w), pot.hess(w), rtol=1e-14)
    assert np.allclose(sp.lambdify(W, sp.diff(pot.sym_phi(), W), "numpy")(w), pot.grad(w), rtol=1e-13)
    assert np.allclose([float(pot.mp_grad(x)) for x in w], pot.grad(w), rtol=1e-14)
    if pot.sym_inv() is not None:
        inv = sp.lambdify(THETA, pot.sym_inv(), "numpy")
        assert np.allclose(inv(pot.grad(w)), w, rtol=1e-13)


def test_conventions():
    """Entropic: phi' = log w; p-norm: phi' = sign(w)|w|^(p-1) (Pogodin et al.); p = 2 is Euclidean."""
    w = np.array([-2.0, -0.5, 0.3, 3.0])
    assert np.allclose(potential("entropic").grad(np.abs(w)), np.log(np.abs(w)))
    assert np.allclose(potential("pnorm:p=3").grad(w), np.sign(w) * w ** 2)
    assert np.allclose(potential("pnorm:p=2").grad(w), potential("euclidean").grad(w))
    assert potential("entropic").in_domain(np.array([-1.0, 0.0, 1e-300])).tolist() == [False, False, True]


def test_user_potential_from_phi_equals_from_grad():
    a, b = potential("user:phi=cosh(w)"), potential("user:grad=sinh(w)")
    w = np.linspace(-4, 4, 17)
    assert np.allclose(a.grad(w), b.grad(w)) and np.allclose(a.inv_grad(a.grad(w)), w, atol=1e-13)


@pytest.mark.parametrize("spec, fragment", [
    ("nosuch", "unknown potential"),
    ("pnorm:p=1", "p must be > 1"),
    ("pnorm:p=x", "p must be a number"),
    ("user:grad=tanh(w)", "Legendre type"),          # bounded phi': updates could leave the domain
    ("user:grad=-1/w,domain=0|inf", "Legendre type"),
    ("user:phi=-w^2", "not strictly convex"),
    ("user:grad=__import__('os')", "not allowed"),
    ("user:grad=w,phi=w^2", "exactly one"),
    ("user:grad=w,domain=1|0", "a < b"),
    ("", "non-empty"),
])
def test_bad_potentials_raise_one_clear_error(spec, fragment):
    with pytest.raises(PriorError) as err:
        potential(spec)
    assert fragment in str(err.value)


def test_invert_monotone_brackets_any_domain():
    y = np.array([-40.0, -1.0, 0.0, 3.0, 500.0])
    x = invert_monotone(np.log, y, 0.0, math.inf, lambda t: 1 / t)
    assert np.allclose(np.log(x), y, rtol=1e-14, atol=1e-14)
    x = invert_monotone(lambda t: t ** 3 + t, np.array([-1e6, 0.5, 2e9]))
    assert np.allclose(x ** 3 + x, [-1e6, 0.5, 2e9], rtol=1e-13)
    with pytest.raises(ValueError):
        invert_monotone(np.arctan, np.array([2.0]))

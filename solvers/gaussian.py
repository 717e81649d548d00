"""Gaussian special functions and quadrature rules, in float64 (numpy) and mpmath.

Conventions (THEORY.md section 1): Dt = phi(t) dt, H(x) = int_x^inf Dt, Phi = 1 - H,
g(x) = phi(x) / H(x).  The float64 versions stay accurate for any x: naive
phi/H and log H lose every digit beyond x ~ 8, so they go through erfcx / log_ndtr.
"""
from __future__ import annotations

import functools

import mpmath as mp
import numpy as np
from scipy import special

SQRT2 = np.sqrt(2.0)
SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)


# ---------------------------------------------------------------- float64, vectorised
def phi(x):
    return np.exp(-0.5 * np.square(x)) / np.sqrt(2 * np.pi)


def H(x):
    return 0.5 * special.erfc(np.asarray(x, dtype=float) / SQRT2)


def log_H(x):
    return special.log_ndtr(-np.asarray(x, dtype=float))


def g_ratio(x):
    """phi(x)/H(x) via erfcx: exact to rounding for all x (-> 0 as x -> -inf, ~x as x -> inf)."""
    return SQRT_2_OVER_PI / special.erfcx(np.asarray(x, dtype=float) / SQRT2)


def norm_ppf(u):
    return special.ndtri(u)


# ---------------------------------------------------------------- mpmath, any precision
def mp_phi(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


_ASYMPTOTIC = mp.mpf(10) ** 20   # beyond: the tail series; mpmath's erfc overflows a float near |x| ~ 1e77


def mp_H(x):
    """H(x) = P(z > x), z ~ N(0,1), at the current precision, for any real x."""
    x = mp.mpf(x)
    if x > _ASYMPTOTIC:
        # H(x) = phi(x)/x sum_k (-1)^k (2k-1)!!/x^2k; terms fall by (2k+1)/x^2 < 1e-39
        term, total, k, x2 = mp.mpf(1), mp.mpf(1), 0, x * x
        while abs(term) > mp.eps:
            k += 1
            term *= -(2 * k - 1) / x2
            total += term
        return mp_phi(x) / x * total
    if x < -_ASYMPTOTIC:
        return 1 - mp_H(-x)
    return mp.erfc(x / mp.sqrt(2)) / 2


def mp_Phi(x):
    return mp_H(-mp.mpf(x))


def mp_log_H(x):
    # mpmath's exponent range never underflows, so log(erfc) is safe at any x
    return mp.log(mp_H(x))


def mp_g_ratio(x):
    return mp_phi(x) / mp_H(x)


def mp_norm_isf(p):
    """x with H(x) = p at the current precision, by Newton on log H from a float64 start.

    Newton on log H(x) - log p converges quadratically, so 2-4 steps reach any dps; it
    never forms 1 - p, whose digits are lost in the tails (erfinv(1 - 2p) needs ~log10(1/p)
    extra digits there)."""
    p = mp.mpf(p)
    if p <= 0:
        return mp.inf
    if p >= 1:
        return -mp.inf
    if p > mp.mpf(1) / 2:
        return -mp_norm_isf(1 - p)
    fp = float(p)
    tol = mp.eps * 64
    if fp > 1e-300:
        # Halley on H(x) - p from the float64 quantile: cubic convergence, so one step
        # (two beyond ~45 digits) reaches the working precision; the error after a step s
        # is below (2 + |x|)^2 s^3 / 12, hence the cube-root test
        x = mp.mpf(-special.ndtri(fp))
        for _ in range(8):
            u = (mp_H(x) - p) / mp_phi(x)
            step = u / (1 - x * u / 2)
            x += step
            if abs(step) <= max(mp.cbrt(tol) / (4 * (2 + abs(x))), 16 * mp.eps * abs(x)):
                return x
    lp = mp.log(p)
    x = mp.mpf(-special.ndtri(fp)) if fp > 1e-300 else mp.sqrt(-2 * lp - mp.log(-4 * mp.pi * lp))
    # Newton on log H (robust from a rough start): quadratic convergence, so once a step is
    # below ~sqrt(eps) the next is below eps; stop after it instead of paying for a
    # verification step
    quiet = mp.sqrt(tol) / (8 * (2 + abs(x)))
    # in the far tail (x ~ 1e6 for p ~ 1e-470000000000) x's own rounding exceeds that: a
    # step at the level of x's last digits is converged
    quiet = max(quiet, 16 * mp.eps * abs(x))
    for _ in range(60):
        h = mp_H(x)
        step = (mp.log(h) - lp) * h / mp_phi(x)
        x += step
        if abs(step) <= quiet:
            return x
    raise ArithmeticError(f"inverse normal tail did not converge for p={mp.nstr(p, 5)}")


def mp_norm_ppf(u):
    """Phi^{-1}(u) at the current precision."""
    return -mp_norm_isf(u)


def mp_psi(p):
    """phi(Phi^{-1}(p)): the density of N(0,1) at its p-quantile, symmetric in p <-> 1-p.
    Pass min(F, 1 - F) computed from the nearer tail to keep digits."""
    p = mp.mpf(p)
    if p <= 0 or p >= 1:
        return mp.mpf(0)
    return mp_phi(mp_norm_isf(min(p, 1 - p)))


def mp_gauss_expect(f, split=(0,)):
    """E_t f(t) for t ~ N(0,1) by tanh-sinh quadrature; returns (value, error estimate)."""
    pts = [-mp.inf, *[mp.mpf(s) for s in split], mp.inf]
    val, err = mp.quad(lambda t: f(t) * mp_phi(t), pts, error=True)
    return val, err


# ---------------------------------------------------------------- quadrature rules
@functools.lru_cache(maxsize=64)
def gauss_hermite(n: int):
    """Nodes and weights for E_z f(z), z ~ N(0,1) (probabilists' Hermite), float64.
    scipy's rule, not numpy's hermegauss: numpy's recursion overflows from n ~ 300 and
    returns NaN weights without an error (the solvers then printed wrong points)."""
    x, w = special.roots_hermitenorm(int(n))
    if not np.all(np.isfinite(w)):
        raise ArithmeticError(f"Gauss-Hermite rule with {n} nodes is not finite")
    return x, w / np.sqrt(2 * np.pi)


@functools.lru_cache(maxsize=64)
def _gauss_legendre(n: int):
    return np.polynomial.legendre.leggauss(n)


def panel_nodes(edges, order: int):
    """Nodes and weights of `order`-point Gauss-Legendre on each panel [e_k, e_k+1] (plain
    dx measure; callers multiply by their density)."""
    e = np.asarray(edges, dtype=float)
    x, w = _gauss_legendre(int(order))
    half, mid = 0.5 * np.diff(e), 0.5 * (e[1:] + e[:-1])
    return (mid[:, None] + half[:, None] * x[None, :]).ravel(), (half[:, None] * w[None, :]).ravel()


def graded_panels(center: float, width: float, reach: float = 12.0, order: int = 24):
    """Nodes and weights for int f(t) phi(t) dt when f has a kink of the given width at
    `center` (log H((kappa - sqrt(q) t)/sqrt(1-q)) near q -> 1). Gauss-Legendre panels whose
    size doubles away from the kink on both sides out to |t| = reach; Gauss-Hermite
    alone cannot resolve a kink of width sqrt(1 - q)."""
    width = max(min(width, 1.0), 1e-12)
    # a kink beyond the range (kappa / sqrt(q) at small q) is no kink there: without the
    # clip the doubling panels would be ~|center| wide over [-reach, reach] (an integral
    # of 0 at q = 1e-12, kappa = 0.7, seen in the AT scan of the binary prior)
    center = float(np.clip(center, -reach, reach))
    edges = [0.0]
    h = width
    while edges[-1] < reach + abs(center):
        edges.append(edges[-1] + h)
        h *= 2.0
    edges = np.asarray(edges)
    xg, wg = _gauss_legendre(order)
    lo, hi = edges[:-1], edges[1:]
    half = 0.5 * (hi - lo)
    mid = 0.5 * (hi + lo)
    off = (mid[:, None] + half[:, None] * xg[None, :]).ravel()
    wts = (half[:, None] * wg[None, :]).ravel()
    t = np.concatenate([center - off, center + off])
    w = np.concatenate([wts, wts]) * phi(t)
    keep = np.abs(t) <= reach + 1e-9
    return t[keep], w[keep]

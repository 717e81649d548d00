"""The monotone transport map T = F_P^{-1} o Phi from N(0,1) to a prior, at any precision.

The q -> 1 limit of the Gardner volume (THEORY.md E3) needs two numbers of a prior P:
E_z T(z)^2 = E_P w^2 (no transport needed) and E_z z T(z).  For the latter two exact
representations are used:

* z-space:  E z T = int z T(z) phi(z) dz, for a single continuous law with a closed-form
  quantile (smooth integrand; tanh-sinh quadrature converges exponentially).
* w-space (Stein + change of variables):  E z T = E T'(z) = int psi(F(w)) dw,
  psi(p) = phi(Phi^{-1}(p)).  It holds for atoms, gaps and mixtures alike: on a gap of the
  support F is flat and the integrand is the jump of T times phi at the jump.  For a
  purely discrete prior it is the exact finite sum  sum_k (a_{k+1} - a_k) psi(F(a_k)).

Priors are duck-typed (the `replica.priors.Prior` interface); this module never imports
`replica`.
"""
from __future__ import annotations

import mpmath as mp

from .gaussian import mp_phi, mp_psi


def _psi_of(prior, w):
    # psi(min(F, 1 - F)) from the nearer tail: 1 - F loses digits where F -> 1
    F = prior.cdf(w)
    return mp_psi(F if F <= mp.mpf(1) / 2 else prior.sf(w))


def ez_transport(prior, error: bool = False):
    """E_z z T(z) for T the monotone map N(0,1) -> prior (E3), at the current mp.dps.

    Returns the value, or (value, quadrature error estimate) with error=True."""
    if prior.is_discrete:
        atoms = [mp.mpf(v) for v in prior.values]
        probs = [mp.mpf(p) for p in prior.probs]
        norm = mp.fsum(probs)
        tails = [mp.mpf(0)] * len(probs)  # tails[k] = sum_{j>k} p_j, summed from the top:
        for k in range(len(probs) - 2, -1, -1):  # 1 - cum loses digits near F = 1
            tails[k] = tails[k + 1] + probs[k + 1]
        terms, cum = [], mp.mpf(0)
        for k in range(len(atoms) - 1):
            cum += probs[k]
            terms.append((atoms[k + 1] - atoms[k]) * mp_psi(min(cum, tails[k]) / norm))
        total = mp.fsum(terms)
        return (total, mp.mpf(0)) if error else total
    if prior.has_closed_transport and getattr(prior.parts[0], "elementary_transport", True):
        part = prior.parts[0]
        f = lambda z: z * part.quantile_from_z(z) * mp_phi(z)  # noqa: E731
        # finite range: tanh-sinh on (-inf, inf) samples |z| ~ 1e10, where T(z) = F^-1(Phi(z))
        # needs Phi(z) to millions of digits; beyond the cut the integrand is below eps^2
        lo = -_tail_cut(lambda x: abs(f(-x)))
        hi = _tail_cut(lambda x: abs(f(x)))
        pts = [lo, 0, hi]
        val, err = mp.quad(f, pts, error=True)
        return (val, err) if error else val
    pts = _breakpoints(prior)
    val, err = mp.quad(lambda w: _psi_of(prior, w), pts, error=True)
    return (val, err) if error else val


def _breakpoints(prior):
    """Integration breakpoints for int psi(F(w)) dw: the atoms, the ends of each
    continuous part's support, 0, and the support's ends (possibly infinite)."""
    pts = {mp.mpf(v) for v in prior.values} | {mp.mpf(0)}
    for part in prior.parts:
        for end in (part.lo, part.hi):
            if mp.isfinite(end):
                pts.add(mp.mpf(end))
    lo, hi = prior.support
    lo = lo if mp.isfinite(lo) else -_tail_cut(lambda x: prior.cdf(-x))
    hi = hi if mp.isfinite(hi) else _tail_cut(prior.sf)
    pts = sorted(p for p in pts if lo <= p <= hi)
    if lo < pts[0]:
        pts.insert(0, lo)
    if hi > pts[-1]:
        pts.append(hi)
    return pts


def _tail_cut(tail):
    """x > 0 where the tail mass falls below eps^2: the integrand psi(F) <= F sqrt(2 log 1/F)
    contributes less than the working precision beyond it (and tanh-sinh on an infinite
    range would evaluate the CDF at |w| ~ 1e100)."""
    x, tiny = mp.mpf(2), mp.eps ** 2
    for _ in range(400):
        # probe several points: an integrand like z (1 + z) phi(z) vanishes at one z
        if all(tail(x * c) < tiny for c in (1, mp.mpf("1.1"), mp.mpf("1.3"), mp.mpf("1.7"), 2)):
            return x
        x *= mp.mpf(1.25)
    raise ArithmeticError("prior tails decay too slowly for the transport integral")


def second_moment(prior):
    """E_z T(z)^2 = E_P w^2."""
    return prior.moment(2)


def w2_to_gaussian(prior):
    """W2(P, N(0,1)) for the prior as given: W2^2 = E T^2 + 1 - 2 E z T (E3)."""
    w2sq = second_moment(prior) + 1 - 2 * ez_transport(prior)
    return mp.sqrt(max(w2sq, mp.mpf(0)))

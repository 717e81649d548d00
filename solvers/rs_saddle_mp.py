"""High-precision RS saddle point for priors with a few atoms (THEORY.md E1, E2, E4), mpmath.

Same equations as `rs_saddle`, at any precision.  Every Gaussian integral is a trapezoid
sum on the whole line with a step set by the integrand's strip of analyticity: for an
integrand analytic and Gaussian-decaying in |Im z| < d, the rule with step h errs by
about e^{-2 pi d / h}, so h = 2 pi d / (bits ln 2) reaches any precision with a few hundred
nodes.  Entropic sums (E2) run in fixed-point integers (one pass gives the marginals, their
Jacobian E_z[diag(pi) - pi pi^T], q and E log Z together); the energetic ones (G_E, J) in
mpf.  The Lagrange multipliers are Newton-solved with that exact Jacobian.  Used to polish
the float64 solution: the entropy-zero capacity of E4 and alpha(qh) at `dps` digits.  Cost
grows like (number of atoms)^2 per node, so it is offered for at most MAX_ATOMS atoms.
"""
from __future__ import annotations

import collections
import functools
import math

import mpmath as mp
from mpmath.libmp import from_man_exp, mpf_log, to_fixed
from mpmath.libmp.libelefun import exp_fixed, ln2_fixed

from .gaussian import mp_H

MAX_ATOMS = 6
GUARD = 24              # fixed-point bits beyond the working precision (absorbs ~1e3 rounded terms)
ERFC_ZERO_IM = 2.8164   # |Im u| of the zeros of H(u) = erfc(u / sqrt 2) / 2 nearest the real axis
STRIP = 0.7             # use this fraction of the analyticity strip (the integrand grows near its edge)

Point = collections.namedtuple("Point", "alpha q entropy ge jj")


def _bits():
    return mp.mp.prec + GUARD


def _step(d, bits):
    """Trapezoid step for a strip half-width d at `bits` bits, rounded down to a ladder
    2^(-j/8) so that nearby qh share one cached grid."""
    d = min(d, 4.0)
    h = 2 * math.pi * d / (bits * math.log(2) + d * d / 2 + 8)
    return 2.0 ** (math.floor(8 * math.log2(h)) / 8)


def _reach(bits):
    """|z| beyond which phi(z) (times a polynomial of modest degree) is below 2^-bits."""
    return math.sqrt(2 * (bits * math.log(2) + 10)) + 1


@functools.lru_cache(maxsize=16)
def _gauss_weights(h, bits):
    """Fixed-point (bits) weights h phi(k h), k = -K..K, of the trapezoid rule for E_z."""
    K = int(_reach(bits) / h) + 1
    with mp.workprec(bits + 10):
        hh = mp.mpf(h)
        c = hh / mp.sqrt(2 * mp.pi)
        return K, tuple(to_fixed((c * mp.exp(-(k * hh) ** 2 / 2))._mpf_, bits) for k in range(-K, K + 1))


def _fix(x, bits):
    return to_fixed(mp.mpf(x)._mpf_, bits)


def _unfix(n, bits):
    return mp.mpf(from_man_exp(n, -bits))


class _Atoms:
    def __init__(self, values, probs, lam0=None):
        self.v = [mp.mpf(x) for x in values]
        p = [mp.mpf(x) for x in probs]
        s = mp.fsum(p)
        self.p = [x / s for x in p]
        m2 = mp.fsum(pj * vj ** 2 for pj, vj in zip(self.p, self.v))
        self.v = [x / mp.sqrt(m2) for x in self.v]  # unit second moment (section 1)
        self.logp = [mp.log(x) for x in self.p]
        self.lam = [mp.mpf(x) for x in lam0] if lam0 is not None else [mp.mpf(0)] * len(self.v)

    def strip(self, qh):
        """Half-width of the strip |Im z| < pi / (sqrt(qh) (v_max - v_min)) where
        Z(z) = sum_j c_j e^{sqrt(qh) v_j z} (c_j > 0) has no zero: there every term's phase
        lies in an open half-plane.  Posterior, log Z and their moments are analytic there."""
        span = float(max(self.v) - min(self.v))
        return STRIP * math.pi / (math.sqrt(float(qh)) * span)

    def moments(self, lam, qh, jac=True, logz=True):
        """One trapezoid pass over z for E_z of the posterior pi_j(z) ~ p_j e^{lam_j - qh v_j^2/2 + sqrt(qh) z v_j}
        (E2): returns (marginals E pi_j, E pi_j pi_k (or None), q = E <w>^2, E log Z (or None)).

        Sweeps outward from z = 0.  An atom's weight relative to the leading atom then only
        shrinks or grows monotonically; a shrinking one is updated by one multiplication per
        node (its absolute error grows by one rounding per node, << 2^GUARD), a growing one
        (whose relative error a product would amplify) by exp."""
        bits = _bits()
        h = _step(self.strip(qh), bits)
        K, wts = _gauss_weights(h, bits)
        r = mp.sqrt(qh)
        base = [_fix(lp + lj - qh * v * v / 2, bits) for lp, lj, v in zip(self.logp, lam, self.v)]
        slope = [_fix(r * v * mp.mpf(h), bits) for v in self.v]
        vf = [_fix(v, bits) for v in self.v]
        m = len(vf)
        ln2 = ln2_fixed(bits)
        floor = -bits * ln2      # e^(d) < 2^-bits: the atom drops out at this node
        marg = [0] * m
        pp = [[0] * m for _ in range(m)] if jac else None
        qs = lz = 0
        rng = range(m)
        for sgn, ks in ((1, range(0, K + 1)), (-1, range(-1, -K - 1, -1))):
            step = [sgn * s for s in slope]
            a = [b + ks[0] * s for b, s in zip(base, slope)]
            top = -1
            for k in ks:
                w = wts[k + K]
                t = max(rng, key=a.__getitem__)
                if t != top:         # a new leader: every weight afresh, new factors
                    top = t
                    e = [exp_fixed(x - a[t], bits, ln2) if x - a[t] > floor else 0 for x in a]
                    fac = [exp_fixed(step[j] - step[t], bits, ln2) if step[j] < step[t] else None for j in rng]
                else:
                    at = a[t]
                    for j in rng:
                        f = fac[j]
                        if f is not None:
                            e[j] = (e[j] * f) >> bits
                        elif j != t:
                            d = a[j] - at
                            e[j] = exp_fixed(d, bits, ln2) if d > floor else 0
                s = sum(e)
                pi = [(x << bits) // s for x in e]
                for j in rng:
                    marg[j] += w * pi[j]
                if jac:
                    for j in rng:
                        pj = pi[j]
                        if pj:
                            row = pp[j]
                            for i in range(j, m):
                                row[i] += w * ((pj * pi[i]) >> bits)
                mean = sum(p * v for p, v in zip(pi, vf)) >> bits
                qs += w * ((mean * mean) >> bits)
                if logz:
                    lz += w * (a[t] + to_fixed(mpf_log(from_man_exp(s, -bits), bits), bits))
                a = [x + d for x, d in zip(a, step)]
        b2 = 2 * bits
        marg = [_unfix(x, b2) for x in marg]
        if jac:
            pp = [[_unfix(pp[min(j, i)][max(j, i)], b2) for i in rng] for j in rng]
        return marg, pp, _unfix(qs, b2), _unfix(lz, b2) if logz else None


def solve_lagrange_mp(atoms: _Atoms, qh, maxiter=50):
    """Newton on the marginal equations (gauge lambda_0 = 0) with the exact Jacobian
    E_z[diag(pi) - pi pi^T] (E2); returns (lambda, q, E_z log Z) from the converged pass.
    E log Z costs a log per node, so it is summed only in the pass predicted to converge
    (quadratic convergence: residual ~ previous residual^2)."""
    lam = [x - atoms.lam[0] for x in atoms.lam]
    m = len(lam)
    tol = mp.eps * 1000
    prev = None
    for _ in range(maxiter):
        want_logz = prev is not None and prev ** 2 * 10 ** 4 < tol
        marg, pp, q, logz = atoms.moments(lam, qh, logz=want_logz)
        res = [mj - pj for mj, pj in zip(marg[1:], atoms.p[1:])]
        prev = max(abs(r) for r in res)
        if prev < tol:
            if logz is None:
                marg, _, q, logz = atoms.moments(lam, qh, jac=False)
            atoms.lam = lam
            return lam, q, logz
        jac = mp.matrix(m - 1, m - 1)
        for j in range(1, m):
            for k in range(1, m):
                jac[j - 1, k - 1] = (marg[j] if j == k else 0) - pp[j][k]
        try:
            step = mp.lu_solve(jac, mp.matrix([-r for r in res]))
        except ZeroDivisionError:    # an atom with no posterior weight anywhere: far from the solution
            break
        lam = [lam[0]] + [lam[j] + step[j - 1] for j in range(1, m)]
    raise ArithmeticError(f"mp Lagrange solve did not converge at qh={mp.nstr(qh, 8)} (start it from the "
                          "float64 multipliers)")


def energetic_ge_jj(q, kappa):
    """G_E(q) and J(q) of E1-E2 by one trapezoid sum over t: the integrands log H(u) phi(t) and
    g(u)^2 phi(t), u = (kappa - sqrt(q) t) / sqrt(1 - q), are analytic in |Im t| <
    2.8164 sqrt(1 - q) / sqrt(q) (the zeros of erfc nearest the real axis).  Each node is
    evaluated at the precision its Gaussian weight leaves significant."""
    q, kappa = mp.mpf(q), mp.mpf(kappa)
    prec = mp.mp.prec
    bits = prec + 10
    sq, s1 = mp.sqrt(q), mp.sqrt(1 - q)
    h = _step(STRIP * ERFC_ZERO_IM * float(s1 / sq), bits)
    # log H(u) ~ -u^2/2 and g^2 ~ u^2 for large u: a bit more reach than for E_z
    K = int((_reach(bits) + 1) / h) + 1
    hh = mp.mpf(h)
    c = 1 / mp.sqrt(2 * mp.pi)
    ge = jj = mp.mpf(0)
    for k in range(-K, K + 1):
        t = k * hh
        lw = -float(t) ** 2 / 2 / math.log(2)      # log2 phi(t), roughly
        need = max(53, int(prec + lw + 2 * math.log2(2 + abs(float(t)) / float(s1))) + 20)
        with mp.workprec(min(bits, need)):
            u = (kappa - sq * t) / s1
            hu = mp_H(u)
            wt = hh * c * mp.exp(-t * t / 2)
            g = c * mp.exp(-u * u / 2) / hu
            dge, djj = wt * mp.log(hu), wt * g * g
        ge += dge
        jj += djj
    return ge, jj


def point_mp(atoms: _Atoms, qh, kappa) -> Point:
    """(alpha, q, entropy, G_E, J) at conjugate qh; entropy with counting measure on the atoms (E4)."""
    qh = mp.mpf(qh)
    lam, q, logz = solve_lagrange_mp(atoms, qh)
    ge, jj = energetic_ge_jj(q, kappa)
    alpha = qh * (1 - q) / jj
    f_rel = -mp.fsum(p * l for p, l in zip(atoms.p, lam)) + qh * q / 2 + logz + alpha * ge
    entropy = f_rel - mp.fsum(p * lp for p, lp in zip(atoms.p, atoms.logp))
    return Point(alpha, q, entropy, ge, jj)


def rs_point_mp(atoms: _Atoms, qh, kappa):
    """(alpha, q, entropy) at conjugate qh; entropy with counting measure on the atoms (E4)."""
    return tuple(point_mp(atoms, qh, kappa)[:3])


def findroot_or_raise(f, x0, what):
    """mp.findroot by secant; its ValueError (no convergence) or ZeroDivisionError (flat
    secant) becomes an ArithmeticError that says what was being solved."""
    try:
        return mp.findroot(f, x0, solver="secant", tol=mp.eps * 100)
    except (ValueError, ZeroDivisionError) as exc:
        raise ArithmeticError(f"{what}: the mp secant iteration from log qh = {mp.nstr(x0, 8)} did not "
                              f"converge ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def entropy_zero_mp(values, probs, kappa, qh0, lam0=None, dps=30, dlogqh=None):
    """alpha where the RS entropy of a discrete prior vanishes (E4), polished at dps + 5 digits
    from the float64 root qh0 by a secant iteration on log qh whose first step uses the
    float64 slope `dlogqh` = d s / d log qh (then each step roughly doubles the digits:
    about four entropy evaluations from a 1e-12 start).

    Error estimate: the point recomputed at the root with 10 more digits and a finer
    trapezoid step (both the rounding and the quadrature error of the main solve show up):
    |alpha - alpha_check| + |s_check| / |d s / d alpha|, with d s / d alpha = G_E(q) exactly
    (the saddle point is stationary in q, qh, lambda, so only alpha's explicit factor
    remains).  Returns (alpha, q, qh, error)."""
    with mp.workdps(dps + 5):
        kappa = mp.mpf(kappa)
        atoms = _Atoms(values, probs, lam0)
        tol = mp.eps * 100
        x0 = mp.log(qh0)
        s0 = point_mp(atoms, mp.exp(x0), kappa).entropy
        slope = mp.mpf(dlogqh) if dlogqh else None
        x1 = x0 - s0 / slope if slope else x0 * (1 + mp.mpf(10) ** -6) + mp.mpf(10) ** -6
        for _ in range(30):
            pt = point_mp(atoms, mp.exp(x1), kappa)
            s1 = pt.entropy
            if s1 != s0 and x1 != x0:
                slope = (s1 - s0) / (x1 - x0)
            if not slope or not mp.isfinite(slope):
                raise ArithmeticError("the zero-entropy point (E4): the entropy is flat in log qh near "
                                      f"log qh = {mp.nstr(x1, 8)}")
            dx = -s1 / slope
            if abs(dx) < tol * (1 + abs(x1)):
                break
            x0, s0, x1 = x1, s1, x1 + dx
        else:
            raise ArithmeticError(f"the zero-entropy point (E4): the mp secant iteration from log qh = "
                                  f"{mp.nstr(mp.log(qh0), 8)} did not converge")
        root, lam = x1, atoms.lam
    with mp.workdps(dps + 15):
        check = point_mp(_Atoms(values, probs, lam), mp.exp(root), kappa)
        err = abs(pt.alpha - check.alpha) + abs(check.entropy / check.ge)
    return pt.alpha, pt.q, mp.exp(root), max(err, mp.mpf(10) ** (-dps))

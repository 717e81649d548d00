"""High-precision RS saddle point for priors with a few atoms (THEORY.md E1, E2, E4), mpmath.

Same equations as `rs_saddle` but every Gaussian integral is an mp.quad with the posterior's
hand-over points z_k (where atoms k and k+1 are equally likely) as breakpoints, and the
Lagrange multipliers are Newton-solved with the exact Jacobian E_z[diag(pi) - pi pi^T].
Used to polish the float64 solution: the entropy-zero capacity of E4 and alpha(qh) at `dps`
digits.  Cost grows like (number of atoms)^2 quadratures per Newton step, so it is offered
for priors with at most MAX_ATOMS atoms.
"""
from __future__ import annotations

import mpmath as mp

from .energetic import mp_energetic_terms

MAX_ATOMS = 6


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

    def logits(self, lam, qh, z):
        r = mp.sqrt(qh)
        return [lp + lj - qh * v * v / 2 + r * z * v for lp, lj, v in zip(self.logp, lam, self.v)]

    def softmax(self, lam, qh, z):
        a = self.logits(lam, qh, z)
        top = max(a)
        cut = -mp.mp.prec  # terms below e^-prec do not change the sum; mp.exp(-1e30) would overflow
        e = [mp.exp(x - top) if x - top > cut else mp.mpf(0) for x in a]
        s = mp.fsum(e)
        return [x / s for x in e], top + mp.log(s)

    def breakpoints(self, lam, qh):
        """z where neighbouring atoms hand over (posterior switches within ~1/sqrt(qh))."""
        r = mp.sqrt(qh)
        a0 = self.logits(lam, qh, mp.mpf(0))
        pts = []
        for k in range(len(self.v) - 1):
            dv = self.v[k + 1] - self.v[k]
            pts.append(-(a0[k + 1] - a0[k]) / (r * dv))
        # finite range: beyond |z| = reach the Gaussian weight is below eps^2
        reach = mp.sqrt(2 * mp.mp.prec * mp.log(2)) * mp.sqrt(2) + 2
        pts = sorted(x for x in pts if abs(x) < reach)
        return [-reach, *pts, reach] if pts else [-reach, 0, reach]

    def expect(self, fn, lam, qh):
        pts = self.breakpoints(lam, qh)
        return mp.quad(lambda z: fn(*self.softmax(lam, qh, z), z) * mp.npdf(z), pts)


def solve_lagrange_mp(atoms: _Atoms, qh, maxiter=50):
    """Newton on the marginal equations (gauge lambda_0 = 0) with the exact Jacobian."""
    lam = list(atoms.lam)
    lam = [x - lam[0] for x in lam]
    m = len(lam)
    tol = mp.eps * 1000
    for _ in range(maxiter):
        marg = [atoms.expect(lambda pi, lz, z, j=j: pi[j], lam, qh) for j in range(1, m)]
        res = [mj - pj for mj, pj in zip(marg, atoms.p[1:])]
        if max(abs(r) for r in res) < tol:
            atoms.lam = lam
            return lam
        jac = mp.matrix(m - 1, m - 1)
        for j in range(1, m):
            for k in range(j, m):
                val = atoms.expect(lambda pi, lz, z, j=j, k=k: (pi[j] if j == k else 0) - pi[j] * pi[k], lam, qh)
                jac[j - 1, k - 1] = jac[k - 1, j - 1] = val
        step = mp.lu_solve(jac, mp.matrix([-r for r in res]))
        lam = [lam[0]] + [lam[j] + step[j - 1] for j in range(1, m)]
    raise ArithmeticError(f"mp Lagrange solve did not converge at qh={mp.nstr(qh, 8)}")


def rs_point_mp(atoms: _Atoms, qh, kappa):
    """(alpha, q, entropy) at conjugate qh; entropy with counting measure on the atoms (E4)."""
    qh = mp.mpf(qh)
    lam = solve_lagrange_mp(atoms, qh)
    q = atoms.expect(lambda pi, lz, z: mp.fsum(p * v for p, v in zip(pi, atoms.v)) ** 2, lam, qh)
    logz = atoms.expect(lambda pi, lz, z: lz, lam, qh)
    ge, jj, _ = mp_energetic_terms(q, kappa)
    alpha = qh * (1 - q) / jj
    f_rel = -mp.fsum(p * l for p, l in zip(atoms.p, lam)) + qh * q / 2 + logz + alpha * ge
    entropy = f_rel - mp.fsum(p * lp for p, lp in zip(atoms.p, atoms.logp))
    return alpha, q, entropy


def findroot_or_raise(f, x0, what):
    """mp.findroot by secant; its ValueError (no convergence) or ZeroDivisionError (flat
    secant) becomes an ArithmeticError that says what was being solved."""
    try:
        return mp.findroot(f, x0, solver="secant", tol=mp.eps * 100)
    except (ValueError, ZeroDivisionError) as exc:
        raise ArithmeticError(f"{what}: the mp secant iteration from log qh = {mp.nstr(x0, 8)} did not "
                              f"converge ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def entropy_zero_mp(values, probs, kappa, qh0, lam0=None, dps=30, slope=None):
    """alpha where the RS entropy of a discrete prior vanishes (E4), polished at dps + 5 digits
    from the float64 estimate qh0 by a secant iteration on log qh.

    Error estimate: the entropy recomputed at the root with 10 more digits, divided by
    d s / d alpha (`slope`, from the float64 solver), i.e. how far a more precise
    calculation would move the root.  Returns (alpha, q, qh, error)."""
    with mp.workdps(dps + 5):
        atoms = _Atoms(values, probs, lam0)
        root = findroot_or_raise(lambda lq: rs_point_mp(atoms, mp.exp(lq), kappa)[2], mp.log(qh0),
                                 "the zero-entropy point (E4)")
        alpha, q, _ = rs_point_mp(atoms, mp.exp(root), kappa)
        lam = atoms.lam
    with mp.workdps(dps + 15):
        check = _Atoms(values, probs, lam)
        _, _, s_hi = rs_point_mp(check, mp.exp(root), kappa)
    err = abs(s_hi) / abs(mp.mpf(slope)) if slope else abs(s_hi)
    return alpha, q, mp.exp(root), max(err, mp.mpf(10) ** (-dps))

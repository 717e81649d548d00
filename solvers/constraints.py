"""Weight constraints: the weight side of E1/E5, the entropic term G_S (THEORY.md E5, E8).

A constraint turns the conjugate fields the channel produces into the student's order
parameters.  With the effective field b = sqrt(qhat) z + Rhat w0 (z ~ N(0,1), w0 ~ P_T),

    update(conj)        (qhat, Rhat) -> (q, R) = (E <w>^2, E <w> w0)            [E5]
    entropic(x, conj)   G_S at the fixed point (the free entropy's weight side)   [E5]
    nishimori_map(qh)   q' on the Nishimori line q = R, qhat = Rhat (matched students)
    coupling(teacher)   the student's M(rho) for max-margin learning            [E8]

One class per student kind: `Spherical`, `Sign`, `Distribution` (weights constrained to a
law, by the entropic transport of E2), `Soft` (a soft prior; its norm Q is a third order
parameter), `Bayes` (the teacher's own prior as a soft prior, on the Nishimori line).  The
generic drivers in `solvers.fixed_point` never ask which kind they have.
"""
from __future__ import annotations

import functools

import mpmath as mp
import numpy as np
from scipy import optimize, special

from .gaussian import g_ratio, gauss_hermite
from .rs_saddle import ConvergenceError, VersionSpaceEmpty, measures_of, posterior_of, solve_lagrange

Z_NODES = 80


class TeacherNodes:
    """The teacher's measure (w0_j, p0_j) on the product grid with the z nodes of E5."""

    def __init__(self, w0, p0, n_z=Z_NODES):
        self.w0, self.p0 = np.asarray(w0, float), np.asarray(p0, float)
        self.z, zw = gauss_hermite(n_z)
        self.weight = (zw[:, None] * self.p0[None, :]).ravel()
        self.w0_grid = np.broadcast_to(self.w0, (len(self.z), len(self.w0))).ravel()

    def field(self, qh, rh):
        """b = sqrt(qhat) z + Rhat w0 on the grid."""
        return (np.sqrt(qh) * self.z[:, None] + rh * self.w0[None, :]).ravel()

    @classmethod
    def of(cls, prior, n_nodes=64):
        m = measures_of(prior, n_nodes)[0]
        out = cls(m.w, m.p)
        out.prior = prior
        return out

    @functools.cached_property
    def law(self):
        """The teacher's law as a continuous measure (solvers.posterior), for students that
        integrate the teacher without nodes; needs a teacher made by `of`."""
        from .posterior import LawQuadrature

        return LawQuadrature(self.prior.normalized())


def _r_below_sqrt_q(q, R):
    return min(R, np.sqrt(q) * (1 - 1e-12))


class Constraint:
    """The protocol.  Order parameters x = (q, R) unless `params` says otherwise."""

    name = "constraint"
    label = "student"
    params = ("q", "R")
    rules = ("max-margin", "gibbs")   # learning rules defined for this student; the first is the default
    tol, maxiter = 1e-10, 2000
    warn_unconverged = False   # a non-converged alpha gives a warned NaN row instead of an error
    empty_label = "version space empty (q -> 1): the labels are not separable by this student"

    @property
    def continuous_weights(self) -> bool:
        """Weights with a density: Gibbs learning's q -> 1 (normalised) is then the version
        space closing, not a state of its own (discrete weights have the perfect state)."""
        prior = getattr(self, "prior", None)
        return prior is not None and not prior.is_discrete
    nishimori_unique = False   # one Nishimori fixed point: solve by bracketing, not branch scans

    def start(self, teacher):
        return (0.3, 0.3)

    def overlaps(self, x):
        """The normalised (q, R) the channel's G_E depends on."""
        return x

    def conjugates(self, x, alpha, channel):
        """(conj, G_E): qhat = -2 alpha dG_E/dq, Rhat = alpha dG_E/dR (stationarity of E5 + alpha E6)."""
        g, dq, dr = channel.gradient(*x)
        return (-2 * alpha * dq, alpha * dr), g

    def update(self, conj, teacher):
        raise NotImplementedError

    def change(self, new, x):
        """The size of one step of the fixed-point map, which the tolerance is applied to."""
        return max(abs(a - b) for a, b in zip(new, x))

    def on_nodes(self, n_nodes):
        """The same student on a second discretisation (n_nodes reference nodes, or another
        layout), for an error estimate; a student with none is returned as it is."""
        return self

    def entropic(self, x, conj, aux, teacher):
        raise NotImplementedError

    def damp(self, x, new, damping):
        q = (1 - damping) * x[0] + damping * min(new[0], 1 - 1e-12)
        return q, _r_below_sqrt_q(q, (1 - damping) * x[1] + damping * new[1])

    def eps_g(self, x):
        """Generalisation error against the clean teacher, arccos(R / sqrt(Q)) / pi (E7)."""
        return float(np.arccos(x[-1]) / np.pi)

    def rho(self):
        """(rho, error) of E3 at the current mp precision: rho = E z T / sqrt(E T^2), T the
        optimal transport N(0,1) -> the weight law, so alpha_c = rho^2 / I(kappa)."""
        raise ValueError(f"{self.name}: no q -> 1 capacity limit (E3) for this constraint")

    def coupling(self, w0, p0, teacher_prior):
        raise ValueError(f"{self.name}: max-margin learning (E8) is not defined for this student")

    def nishimori_map(self, qh):
        raise ValueError(f"{self.name}: no Nishimori line")

    def nishimori_entropic(self, q, qh):
        raise ValueError(f"{self.name}: no Nishimori line")

    def nishimori_q_error(self, q, channel, alpha):
        """An estimate of the error of a Nishimori fixed point q (0 where not computed)."""
        return 0.0

    def perfect_state(self):
        """Free entropy of the q = R = 1 state, or None where it has zero weight (continuous)."""
        return None

    def nishimori_with(self, teacher_prior) -> bool:
        """Whether noise-free zero-temperature Gibbs learning of this teacher lies on the
        Nishimori line (the student samples the posterior)."""
        return False

    def gibbs_label(self, x) -> str:
        return f"gibbs ({self.label})"

    def branch_label(self, perfect: bool, others: int) -> str:
        return self.label

    def sympy_G_S(self, teacher=None):
        """G_S as a sympy expression in the symbols of solvers.symbols, the form `entropic`
        evaluates (E5; teacher None: E1, capacity); bodies in solvers.entropic_pieces."""
        raise NotImplementedError

    def sympy_nishimori_G_S(self):
        """G_S on the Nishimori line (qhat = Rhat, q = R), the form `nishimori_entropic`
        evaluates, in the symbols q, qh of solvers.symbols."""
        raise ValueError(f"{self.name}: no Nishimori line")


class Spherical(Constraint):
    """Norm only (E5): G_S = log(1-q)/2 + (q - R^2)/(2(1-q)), eliminated as
    qhat = (q - R^2)/(1-q)^2, Rhat = R/(1-q), i.e. q = (qhat + Rhat^2)(1-q)^2."""

    name, label = "spherical", "spherical student"
    tol, maxiter = 1e-11, 5000
    nishimori_unique = True
    continuous_weights = True

    def nishimori_with(self, teacher_prior):
        return True    # G_S and G_E see the teacher only through E w0^2 = 1

    def gibbs_label(self, x):
        return "gibbs (spherical student, noisy channel / temperature)"

    def branch_label(self, perfect, others):
        return "gibbs (Nishimori line q = R)"

    def update(self, conj, teacher):
        qh, rh = conj
        c = qh + rh * rh                      # q = c (1 - q)^2, root in (0, 1)
        q = (2 * c + 1 - np.sqrt(4 * c + 1)) / (2 * c) if c > 0 else 0.0
        return (q, rh * (1 - q)), None

    def entropic(self, x, conj, aux, teacher):
        q, R = x
        return 0.5 * np.log(1 - q) + (q - R ** 2) / (2 * (1 - q))

    def damp(self, x, new, damping):
        q = (1 - damping) * x[0] + damping * new[0]
        return q, _r_below_sqrt_q(q, (1 - damping) * x[1] + damping * new[1])

    def rho(self):
        return mp.mpf(1), mp.mpf(0)          # T(z) = z: Gardner's alpha_c = 1 / I(kappa)

    def coupling(self, w0, p0, teacher_prior):
        from .teacher_student import SphericalStudent

        return SphericalStudent(w0, p0)

    def nishimori_map(self, qh):
        return qh / (1 + qh)

    def nishimori_entropic(self, q, qh):
        return 0.5 * np.log(1 - q) + q / 2

    def sympy_nishimori_G_S(self):
        import sympy as sp

        from .symbols import q

        return sp.log(1 - q) / 2 + q / 2

    def sympy_G_S(self, teacher=None):
        """E5 for the norm constraint with the conjugates eliminated (the form `entropic`
        evaluates): log(1 - q)/2 + (q - R^2) / (2 (1 - q)); teacher None: E1 (R = 0)."""
        import sympy as sp

        from .symbols import R, q

        return sp.log(1 - q) / 2 + ((q - R ** 2) if teacher is not None else q) / (2 * (1 - q))


def truncated_moments(b, A):
    """Mean and variance of w >= 0 with density ~ exp(-A w^2/2 + b w): a normal N(b/A, 1/A)
    truncated to [0, oo); the inverse Mills ratio via g_ratio stays finite for any b."""
    c = b / np.sqrt(A)
    lam = g_ratio(-c)                    # phi(c) / Phi(c)
    mean = (c + lam) / np.sqrt(A)
    var = (1 - c * lam - lam * lam) / A
    return mean, np.maximum(var, 0.0)


class Sign(Constraint):
    """w >= 0 with E w^2 = 1 (E5 with lambda = -a w^2/2 on the half-line):
    Z(b) = int_0^oo exp(-A w^2/2 + b w) dw = sqrt(2 pi / A) e^{b^2/(2A)} Phi(b/sqrt(A)),
    A = a + qhat fixed by the norm E <w^2> = 1.  Near q -> 1 the damped iteration slows
    down critically: the driver then polishes with a Powell root in log(1 - q)."""

    name, label = "sign", "sign-constrained student, norm fixed"
    continuous_weights = True
    polish = True
    warn_unconverged = True      # critical slowing down just before the version space closes
    empty_label = "version space empty (q -> 1): the labels are not separable with w >= 0"

    def start(self, teacher):
        # the alpha -> 0 point: the half-normal student, q = (E|z|)^2 = 2/pi, R = sqrt(2/pi) E w0
        # (a start at R > q could send qhat negative for a teacher with E w0 = 0)
        q0 = 2 / np.pi
        return q0, min(np.sqrt(q0) * float(teacher.p0 @ teacher.w0), 0.99 * np.sqrt(q0))

    def conjugates(self, x, alpha, channel):
        # q -> 1 itself is caught for every continuous-weight student (fixed_point._check_open)
        conj, g = super().conjugates(x, alpha, channel)
        if not (np.isfinite(conj[0]) and conj[0] > 0):
            raise VersionSpaceEmpty(self._empty(alpha))
        return conj, g

    @staticmethod
    def _empty(alpha):
        return f"q -> 1 at alpha = {alpha:g}: no w >= 0 fits the teacher's labels"

    def update(self, conj, teacher):
        qh, rh = conj
        b = teacher.field(qh, rh)

        def norm_gap(log_a):
            mean, var = truncated_moments(b, np.exp(log_a))
            return teacher.weight @ (var + mean ** 2) - 1.0

        hi = max(20.0, np.log(qh) + 20.0)      # A = a + qhat grows with qhat as q -> 1
        try:
            A = np.exp(optimize.brentq(norm_gap, -20.0, hi, xtol=1e-14))
        except ValueError:
            raise ConvergenceError(f"the norm condition E <w^2> = 1 has no root at qhat = {qh:.6g}") from None
        mean, _ = truncated_moments(b, A)
        return (teacher.weight @ mean ** 2, teacher.weight @ (mean * teacher.w0_grid)), (A, b)

    def entropic(self, x, conj, aux, teacher):
        (q, R), (qh, rh), (A, b) = x, conj, aux
        log_z = 0.5 * np.log(2 * np.pi / A) + b * b / (2 * A) + special.log_ndtr(b / np.sqrt(A))
        f0 = 0.5 + 0.5 * np.log(2 * np.pi) - np.log(2.0)  # alpha = 0: A = 1, half-normal
        return (A - qh) / 2 + qh * q / 2 - rh * R + teacher.weight @ log_z - f0

    def rho(self):
        """The best law with w >= 0 is rectified (half zeros): T = sqrt(2) max(z, 0), rho = 1/sqrt(2)."""
        return 1 / mp.sqrt(2), mp.mpf(0)

    def coupling(self, w0, p0, teacher_prior):
        from .teacher_student import SignStudent

        return SignStudent(w0, p0)

    def sympy_G_S(self, teacher=None):
        from .entropic_pieces import sign_piece

        return sign_piece(teacher)


class _OnNodes(Constraint):
    """A constraint built on a prior's reference measure (nodes made on first use: building
    the coupling of E8 alone does not need them)."""

    def __init__(self, prior, n_nodes=64):
        self.prior, self.n_nodes = prior, n_nodes

    @functools.cached_property
    def measure(self):
        return measures_of(self.prior, self.n_nodes)[0]

    @functools.cached_property
    def law(self):
        """The continuous-measure quadrature (solvers.posterior), or None for a purely
        discrete law (exact on its atoms)."""
        if self.prior.is_discrete:
            return None
        from .posterior import LawQuadrature

        return LawQuadrature(self.prior.normalized())

    def on_nodes(self, n_nodes):
        return type(self)(self.prior, n_nodes)


class Distribution(_OnNodes):
    """Weights constrained to the law P_S (E5-E6 at finite q): the Lagrange function lambda
    enforcing P_S solves the entropic transport of E2 with the field
    sqrt(qhat) (z + Rhat w0 / sqrt(qhat)); then q = E <w>^2, R = E <w> w0.
    `prior` is a (duck-typed) prior object; nodes: its reference measure (64 nodes)."""

    name, label = "distribution", "distribution-constrained student"

    def start(self, teacher):
        return (0.05, 0.05)

    def update(self, conj, teacher):
        qh, rh = conj
        m = self.measure
        zeff = teacher.field(qh, rh) / np.sqrt(qh)
        lam, _, _ = solve_lagrange(m, qh, zeff, teacher.weight)
        logz, pi = posterior_of(m, lam, qh, zeff)
        mean = pi @ m.w
        return (teacher.weight @ mean ** 2, teacher.weight @ (mean * teacher.w0_grid)), (lam, logz)

    def entropic(self, x, conj, aux, teacher):
        (q, R), (qh, rh), (lam, logz) = x, conj, aux
        return qh * q / 2 - rh * R - self.measure.p @ lam + teacher.weight @ logz + self._counting()

    def _counting(self):
        """Free entropies of a discrete law are per weight in the counting measure (the log
        of the number of weight vectors: log 2 at alpha = 0 for Ising weights, 0 for the
        perfect state), i.e. relative to P_S plus H(P_S); a continuous law's stay relative."""
        return float(self.prior.shannon_entropy()) if self.prior.is_discrete else 0.0

    def rho(self):
        """E3's transport factor of the law, error from a rerun 10 digits longer plus the
        quadrature's own estimate (solvers.capacity.transport_factors)."""
        from .capacity import transport_factors

        unit = self.prior.normalized()
        fac = transport_factors(unit)
        with mp.workdps(mp.mp.dps + 10):
            hi = transport_factors(unit)
        return fac.rho, abs(fac.rho - hi.rho) + fac.quad_error

    def coupling(self, w0, p0, teacher_prior):
        from .teacher_student import TransportStudent

        return TransportStudent(w0, p0, self.prior.normalized().np_ppf, teacher_prior)

    def nishimori_with(self, teacher_prior):
        """A teacher drawn from the student's own law: the hard constraint is then solved by
        lambda = 0 (the posterior's marginal is the prior, Nishimori) and Gibbs learning
        samples the posterior, on the line q = R.  Compared on the reference nodes."""
        t, m = measures_of(teacher_prior, self.n_nodes)[0], self.measure
        return len(t.w) == len(m.w) and np.allclose(t.w, m.w, rtol=1e-12, atol=0) \
            and np.allclose(t.p, m.p, rtol=1e-12, atol=0)

    def branch_label(self, perfect, others):
        if not self.prior.is_discrete:
            return self.gibbs_label(None)
        if perfect:
            return "perfect generalization (q = R = 1)" + ("; poor branch metastable" if others else "")
        return "poor generalization (Nishimori q = R); perfect state metastable"

    def nishimori_map(self, qh):
        return posterior_mean_overlaps(qh, self.measure.w, self.measure.p)[0]

    def nishimori_entropic(self, q, qh):
        m = self.measure
        return _nishimori_log_z(q, qh, m.w, m.p) + self._counting()

    def perfect_state(self):
        return 0.0 if self.prior.is_discrete else None

    def sympy_G_S(self, teacher=None, density=None):
        from .entropic_pieces import distribution_piece

        return distribution_piece(self.prior, teacher, density)

    def sympy_nishimori_G_S(self):
        """The Bayes piece of the constraint's law plus, for a discrete law, its Shannon
        entropy (the counting measure, as `nishimori_entropic` adds `_counting`)."""
        from .entropic_pieces import bayes_piece, shannon_entropy

        return bayes_piece(self.prior) + (shannon_entropy(self.prior) if self.prior.is_discrete else 0)


class GroupDistribution(Constraint):
    """A student made of synapse groups (E/I; THEORY.md section 1): group g, a fraction f_g
    of the synapses with its own law P_g (one common rescaling, sum_g f_g E w_g^2 = 1), is
    a Distribution constraint with its own lambda_g under the shared conjugates (qhat, Rhat);
    the group labels are independent of the teacher, so q, R and G_S (E5) are the
    fraction-weighted sums of the groups' (the overlap terms qhat q/2 - Rhat R add up too)."""

    name, label = "distribution", "distribution-constrained student (synapse groups)"
    rules = Distribution.rules

    def __init__(self, prior, n_nodes=64):
        self.prior = prior
        self.parts = []
        for (_, law), m in zip(prior.normalized().groups, measures_of(prior, n_nodes)):
            d = Distribution(law, n_nodes)
            d.__dict__["measure"] = m       # the commonly rescaled nodes, not the group's own
            self.parts.append((m.frac, d))

    start = Distribution.start
    sympy_G_S = Distribution.sympy_G_S
    on_nodes = _OnNodes.on_nodes

    def update(self, conj, teacher):
        outs = [d.update(conj, teacher) for _, d in self.parts]
        q = sum(f * x[0] for (f, _), (x, _) in zip(self.parts, outs))
        R = sum(f * x[1] for (f, _), (x, _) in zip(self.parts, outs))
        return (q, R), outs

    def entropic(self, x, conj, aux, teacher):
        return sum(f * d.entropic(xg, conj, ag, teacher) for (f, d), (xg, ag) in zip(self.parts, aux))

    def coupling(self, w0, p0, teacher_prior):
        """E8: M(rho) = sum_g f_g max E[h w_g] (each group transported on its own, since the
        labels are independent of h)."""
        from .teacher_student import GroupCoupling, TransportStudent

        return GroupCoupling(w0, p0, [(f, TransportStudent(w0, p0, law.np_ppf, teacher_prior))
                                      for f, law in self.prior.normalized().groups])


class Soft(_OnNodes):
    """A soft prior P_S on the student's weights (THEORY.md E1, soft form): the norm Q is an
    order parameter with conjugate Qhat,
        G_S = Qhat Q/2 + qhat q/2 - Rhat R + E log int P_S(dw) e^{-(Qhat+qhat) w^2/2 + b w},
    and G_E depends on the normalised overlaps q/Q, R/sqrt(Q) (chain rule in `conjugates`).
    A law with a continuous part is integrated as a continuous measure, and the teacher with
    it (solvers.posterior.soft_moments; `layout` FINE, its check COARSE); a purely discrete
    law on its atoms, the teacher on its nodes."""

    name, label = "soft", "soft prior"
    params = ("Q", "q", "R")
    rules = ("gibbs",)
    maxiter = 5000
    accelerate = 25     # the damped map contracts slowly (~1000 steps): roots tried at steps 25, 50, 100, ...

    def __init__(self, prior, n_nodes=64, layout=None):
        super().__init__(prior, n_nodes)
        self.layout = layout

    def on_nodes(self, n_nodes):
        from . import posterior as P

        return type(self)(self.prior, n_nodes, P.COARSE if self.law is not None else None)

    def start(self, teacher):
        return (1.0, 0.3, 0.3)

    @property
    def chart(self):
        """(to_x, from_x): Q = e^a, q = Q / (1 + e^-b), R = sqrt(q) tanh c, so that any
        (a, b, c) is a state (0 < q < Q, |R| < sqrt q); fixed_point._root works in it."""
        def to_x(v):
            Q = float(np.exp(v[0]))
            q = Q * float(special.expit(v[1]))
            return Q, q, float(np.sqrt(q) * np.tanh(v[2]))

        def from_x(x):
            Q, q, R = x
            return np.array([np.log(Q), special.logit(q / Q), np.arctanh(R / np.sqrt(q))])

        return to_x, from_x

    def overlaps(self, x):
        Q, q, R = x
        return q / Q, R / np.sqrt(Q)

    def change(self, new, x):
        """Relative in Q, absolute in the normalised overlaps: an absolute step in (Q, q, R)
        falls below any tolerance as Q -> 0, where the version space closes (q/Q -> 1) with
        the norm shrinking, and was taken for a fixed point (free entropy -1e5)."""
        (o1, o2), (p1, p2) = self.overlaps(new), self.overlaps(x)
        return max(abs(np.log(new[0] / x[0])), abs(o1 - p1), abs(o2 - p2))

    def conjugates(self, x, alpha, channel):
        Q, q, R = x
        g, dq, dr = channel.gradient(*self.overlaps(x))
        dQ = -q / Q ** 2 * dq - R / (2 * Q ** 1.5) * dr
        return (-2 * alpha * dQ, -2 * alpha * dq / Q, alpha * dr / np.sqrt(Q)), g

    def update(self, conj, teacher):
        """(Q, q, R) = (E <w^2>, E <w>^2, E <w> w0) and E log Z (E5, soft form)."""
        Qh, qh, Rh = conj
        if self.law is not None:
            from . import posterior as P

            m = P.soft_moments(self.law, teacher.law, Qh + qh, qh, Rh, self.layout or P.FINE)
            return (m.second, m.q, m.R), m.log_z
        b, w = teacher.field(qh, Rh), self.measure.w
        logits = self.measure.logp[None, :] - (Qh + qh) * w[None, :] ** 2 / 2 + b[:, None] * w[None, :]
        logz = special.logsumexp(logits, axis=1)
        post = np.exp(logits - logz[:, None])
        mean, second = post @ w, post @ w ** 2
        wt = teacher.weight
        return (wt @ second, wt @ mean ** 2, wt @ (mean * teacher.w0_grid)), wt @ logz

    def entropic(self, x, conj, log_z, teacher):
        (Q, q, R), (Qh, qh, Rh) = x, conj
        return Qh * Q / 2 + qh * q / 2 - Rh * R + log_z

    def damp(self, x, new, damping):
        Q = (1 - damping) * x[0] + damping * new[0]
        q = min((1 - damping) * x[1] + damping * new[1], Q * (1 - 1e-12))
        return Q, q, _r_below_sqrt_q(q, (1 - damping) * x[2] + damping * new[2])

    def eps_g(self, x):
        Q, _, R = x
        return float(np.arccos(R / np.sqrt(Q)) / np.pi)

    def gibbs_label(self, x):
        return f"gibbs (soft prior {self.prior.spec}, student norm Q = {x[0]:.6f})"

    def sympy_G_S(self, teacher=None):
        from .entropic_pieces import soft_piece

        return soft_piece(self.prior, teacher)


_TABLES: dict = {}     # (prior type, spec) -> posterior.NishimoriTable


class Bayes(_OnNodes):
    """The teacher's prior as the student's soft prior: Gibbs learning samples the posterior,
    the Nishimori line qhat = Rhat, q = R holds, and the posterior-mean student has
    eps_g = arccos(sqrt(q)) / pi (THEORY.md sec. 3, E5-E7).  A law with a continuous part is
    integrated as a continuous measure (solvers.posterior: no atom surrogate; atoms exact);
    a purely discrete law on its atoms."""

    name, label = "bayes", "Bayes-optimal (posterior mean), Nishimori q = R"
    rules = ("bayes-optimal",)

    def __init__(self, prior, n_nodes=48):
        super().__init__(prior, n_nodes)

    @functools.cached_property
    def table(self):
        """The cheap q(qhat) table, once per law and process (it was 36 of a point's 52 ms,
        rebuilt by every call); keyed by the spec, not kept for measured weights."""
        from .posterior import NishimoriTable

        key = None if getattr(self.prior, "empirical", True) else (type(self.prior).__name__, self.prior.spec)
        if key is None:
            return NishimoriTable(self.law)
        if key not in _TABLES:
            if len(_TABLES) >= 64:
                _TABLES.pop(next(iter(_TABLES)))
            _TABLES[key] = NishimoriTable(self.law)
        return _TABLES[key]

    @property
    def nishimori_tabulated(self):
        """Continuous laws: the driver brackets roots on a cached q(qhat) table and polishes
        them on the fine quadrature (fixed_point.nishimori_branches)."""
        return self.law is not None

    def nishimori_map(self, qh, layout=None):
        if self.law is None:
            return posterior_mean_overlaps(qh, self.measure.w, self.measure.p)[0]
        from . import posterior as P

        return P.nishimori(self.law, qh, layout or P.FINE).q

    def nishimori_coarse_map(self, qh):
        return self.table.q(qh)

    def nishimori_entropic(self, q, qh):
        if self.law is None:
            return _nishimori_log_z(q, qh, self.measure.w, self.measure.p)
        from .posterior import nishimori_free

        return nishimori_free(self.law, q, qh)

    def nishimori_q_error(self, q, channel, alpha):
        """|q - q'| with q' the fixed point on the second, different layout (an estimate of the
        fine layout's error); 0 for a purely discrete law (its own z rule is not re-checked)."""
        if self.law is None:
            return 0.0
        from . import posterior as P
        from .fixed_point import polish_nishimori

        q2 = polish_nishimori(lambda qh: self.nishimori_map(qh, P.COARSE), channel, alpha, q)
        return abs(q2 - q)

    def perfect_state(self):
        return -float(self.prior.shannon_entropy()) if self.prior.is_discrete else None

    def eps_g(self, x):
        return float(np.arccos(np.sqrt(x[0])) / np.pi)

    def nishimori_with(self, teacher_prior):
        return True

    def branch_label(self, perfect, others):
        return self.label + (f"; {others} other stable branch(es), lower free entropy" if others else "")

    def sympy_G_S(self, teacher=None):
        """On the Nishimori line (`nishimori_entropic`): the teacher is the prior itself."""
        return self.sympy_nishimori_G_S()

    def sympy_nishimori_G_S(self):
        from .entropic_pieces import bayes_piece

        return bayes_piece(self.prior)


def _posterior_logits(qh, w, p):
    """log p_j - qhat w_j^2/2 + y w_j for y = sqrt(qhat) z + qhat w0 on (z, w0 = w_i, w_j).
    200 z nodes: the posterior mean saturates as q -> 1 (tanh for Ising weights), where
    100 nodes leave 1.5e-8 at q = 0.9 (200: 1e-12)."""
    z, zw = gauss_hermite(200)
    logits = (np.log(p) - qh * w ** 2 / 2)[None, None, :] \
        + ((np.sqrt(qh) * z)[:, None, None] + qh * w[None, :, None]) * w[None, None, :]
    return logits, zw[:, None] * p[None, :]


def posterior_mean_overlaps(qh, w, p):
    """(R, q) = (E <w> w0, E <w>^2) for the channel y = sqrt(qhat) z + qhat w0 and prior
    nodes (w, p): they agree on the Nishimori line."""
    logits, weight = _posterior_logits(qh, w, p)
    logits = logits - logits.max(axis=2, keepdims=True)
    post = np.exp(logits)
    post /= post.sum(axis=2, keepdims=True)
    mean = post @ w
    return float(np.sum(weight * mean * w[None, :])), float(np.sum(weight * mean ** 2))


def _nishimori_log_z(q, qh, w, p):
    """-qhat q/2 + E log sum_j p_j e^{-qhat w_j^2/2 + y w_j}: G_S on the Nishimori line,
    relative to the prior."""
    logits, weight = _posterior_logits(qh, w, p)
    return -qh * q / 2 + float(np.sum(weight * special.logsumexp(logits, axis=2)))

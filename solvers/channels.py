"""Channels: the output side of E1/E5, the energetic term G_E (THEORY.md E1, E6, E8).

A channel says how a label is produced from the teacher's field and how the student is
scored.  Every driver (capacity curve, Gibbs fixed point, Nishimori branches, max margin)
asks a channel for the same few things, so a new noise model is one class:

    G_E(q, R)          the energetic term (E6; for a margin channel E1, R unused)
    gradient(q, R)     (G_E, dG_E/dq, dG_E/dR)
    E(R, kappa)        the q -> 1 limit of max-margin learning (E8)
    q_to_1(R)          c(R) in G_E ~ -c / (2 (1 - q)) as q -> 1: I(kappa) (E3), E(R, 0) (E8)
    nishimori_qhat     the conjugate on the Nishimori line q = R (E6 at R = q), where defined

`Margin(kappa)` is the capacity channel; `Teacher(noise, flip, temperature)` the
teacher-student one; `LabelFlip(flip)` is Teacher with Gaussian noise 0 (a one-class
example of a new channel).  Float64 throughout: the mp capacity paths use
`solvers.energetic` and `solvers.capacity` directly.
"""
from __future__ import annotations

import math

import numpy as np

from .energetic import energetic_terms
from .gaussian import H, g_ratio, gauss_hermite, graded_panels, log_H


class Channel:
    """The protocol; subclasses give `G_E` (and may override `gradient`)."""

    name = "channel"
    plain = False          # noise-free labels at zero temperature: the Nishimori line is exact
    temperature = 0.0      # Gibbs temperature 1/beta of the student's likelihood

    def G_E(self, q, R):
        raise NotImplementedError

    def gradient(self, q, R, h=1e-6):
        """(G_E, dG_E/dq, dG_E/dR) by central differences; the q-step stays inside q < 1
        near the version space's end."""
        g = self.G_E(q, R)
        hq = min(h, 0.5 * (1.0 - q))
        dq = (self.G_E(q + hq, R) - self.G_E(q - hq, R)) / (2 * hq)
        dr = (self.G_E(q, R + h) - self.G_E(q, R - h)) / (2 * h)
        return g, dq, dr

    def q_to_1(self, R=None):
        """c(R) with G_E(q, R) ~ -c(R) / (2 (1 - q)) as q -> 1 (E3, E8)."""
        raise NotImplementedError

    def sympy_G_E(self):
        """G_E as a sympy expression in the symbols of solvers.symbols (q, R, t, kappa, ...),
        the piece `replica.derive` builds E1/E5 from; its value equals `G_E` (tested)."""
        raise NotImplementedError

    def describe(self) -> str:
        return self.name


CHANNELS: dict = {}


EXAMPLES: dict = {}


def register_channel(name, cls, help, examples=({},)):
    """One line per output channel: `replica.channel(name, **params)` builds `cls(**params)`;
    `examples`: parameter sets the identity suite (tests/test_ingredients.py) checks."""
    CHANNELS[name] = (cls, help)
    EXAMPLES[name] = tuple(examples)
    return cls


class Margin(Channel):
    """Capacity: a pattern is stored when its stability exceeds kappa (E1).
    G_E(q) = int Dt log H((kappa - sqrt(q) t) / sqrt(1 - q)); q -> 1: alpha_c = rho^2 / I(kappa) (E3)."""

    name = "margin"

    def __init__(self, kappa=0.0):
        self.kappa = kappa

    def G_E(self, q, R=None):
        return energetic_terms(q, float(self.kappa))[0]

    def terms(self, q):
        """(G_E, J, K) of E1-E2 and E4."""
        return energetic_terms(q, float(self.kappa))

    def I(self):
        """Gardner's I(kappa) = int_{-kappa}^oo Dt (t + kappa)^2, mp at the current precision (E3)."""
        from .capacity import gardner_I

        return gardner_I(self.kappa)

    def q_to_1(self, R=None):
        return float(self.I())

    def sympy_G_E(self):
        """E1: E_t log H(u), u = (kappa - sqrt(q) t) / sqrt(1 - q), kappa kept as a symbol."""
        import sympy as sp

        from .symbols import H, gauss, kappa, q, t

        return gauss(sp.log(H((kappa - sp.sqrt(q) * t) / sp.sqrt(1 - q))), t)

    def describe(self):
        return f"margin kappa = {self.kappa}"


class Teacher(Channel):
    """Labels y = sign(teacher field + noise), flipped with probability `flip`; Gibbs
    learning at temperature 1/beta (THEORY.md E6 and its note).

    G_E(q, R) = 2 int Dt [p + (1 - 2p) H(-r t / sqrt(q - r^2))] log[e^-beta + (1 - e^-beta) H(-sqrt(q) t / sqrt(1-q))]
    with r = R / sqrt(1 + sigma^2).  Graded panels resolve both kinks at t = 0 (widths
    sqrt(1-q) and sqrt(q-r^2)/r)."""

    name = "teacher"

    def __init__(self, noise=0.0, flip=0.0, temperature=0.0):
        self.noise, self.flip, self.temperature = float(noise), float(flip), float(temperature)
        self.beta = 1.0 / self.temperature if self.temperature else math.inf
        self.plain = not (self.noise or self.flip or self.temperature)

    def G_E(self, q, R):
        r = R / np.sqrt(1.0 + self.noise ** 2)
        width = min(np.sqrt(1 - q), np.sqrt(max(q - r * r, 1e-300)) / max(abs(r), 1e-12))
        t, w = graded_panels(0.0, width)
        log_inner = log_H(-np.sqrt(q) * t / np.sqrt(1 - q))
        if np.isfinite(self.beta):
            log_inner = np.logaddexp(-self.beta, np.log1p(-np.exp(-self.beta)) + log_inner)
        outer = self.flip + (1 - 2 * self.flip) * H(-r * t / np.sqrt(q - r * r))
        return 2 * w @ (outer * log_inner)

    def E(self, R, kappa):
        """E(R, kappa) of E8 (max margin, q -> 1), scalar or vectorised over R: Gaussian
        noise rescales R in the outer H, flips make it p + (1 - 2p) H."""
        from .teacher_student import e_term

        return e_term(R, kappa, self.noise, self.flip)

    def E_on(self, order):
        """(E, dE/dR) of E8 on the rule with `order` nodes per panel: the stationarity of
        max_R [A(R)^2 - alpha E] needs dE/dR; a second order gives the error estimate."""
        from .teacher_student import e_term

        return (lambda R, k: e_term(R, k, self.noise, self.flip, order=order),
                lambda R, k: e_term(R, k, self.noise, self.flip, order=order, dR=True))

    def sympy_G_E(self):
        """E6 with this channel's noise: sigma as the symbol when there is Gaussian noise, the
        flip probability and beta as numbers (E6 note)."""
        import sympy as sp

        from .symbols import H, R, gauss, q, sigma, t

        r = R / sp.sqrt(1 + sigma ** 2) if self.noise else R
        p = sp.nsimplify(self.flip)
        outer = H(-r * t / sp.sqrt(q - r ** 2)) if not p else p + (1 - 2 * p) * H(-r * t / sp.sqrt(q - r ** 2))
        inner = H(-sp.sqrt(q) * t / sp.sqrt(1 - q))
        if np.isfinite(self.beta):
            eb = sp.exp(-sp.nsimplify(self.beta))
            inner = eb + (1 - eb) * inner
        return 2 * gauss(outer * sp.log(inner), t)

    def q_to_1(self, R):
        """E(R, 0) of E8: the student's field concentrates as q -> 1 at zero temperature."""
        if np.isfinite(self.beta):
            raise ValueError("at a finite temperature G_E stays finite as q -> 1")
        return self.E(R, 0.0)

    def nishimori_qhat(self, q, alpha):
        """qhat = alpha sqrt(2/pi) E_t g(-sqrt(q) t) / sqrt(1 - q), g = phi / H (E6 at R = q,
        noise-free; Gibbs learning is then posterior sampling)."""
        self._require_plain()
        t, w = gauss_hermite(200)
        return alpha * np.sqrt(2 / np.pi) * (w @ g_ratio(-np.sqrt(q) * t)) / np.sqrt(1 - q)

    def nishimori_G_E(self, q):
        """G_E = 2 E_t H(-x t) log H(-x t), x = sqrt(q / (1 - q)) (E6 at R = q)."""
        self._require_plain()
        x = np.sqrt(q / (1 - q))
        t, w = graded_panels(0.0, 1.0 / max(x, 1e-12))
        return 2 * w @ (H(-x * t) * log_H(-x * t))

    def _require_plain(self):
        if not self.plain:
            raise ValueError("the Nishimori line holds for noise-free labels at zero temperature only")

    def describe(self):
        parts = [f"noise sigma = {self.noise:g}"] if self.noise else []
        parts += [f"label flips p = {self.flip:g}"] if self.flip else []
        parts += [f"temperature {self.temperature:g}"] if self.temperature else []
        return "noise-free teacher" if not parts else "teacher, " + ", ".join(parts)


class Erasure(Teacher):
    """Each label is lost with probability e before learning (the pattern is dropped), on top
    of the teacher channel: G_E -> (1 - e) G_E, so Gibbs and max-margin learning at load
    alpha equal learning at alpha (1 - e) without erasures (E6, E8); the Nishimori line
    still holds (the posterior of fewer examples)."""

    name = "erasure"

    def __init__(self, erase, noise=0.0, flip=0.0, temperature=0.0):
        if not 0 <= erase < 1:
            raise ValueError(f"erasure probability must be in [0, 1), got {erase}")
        super().__init__(noise, flip, temperature)
        self.erase = float(erase)

    def G_E(self, q, R):
        return (1 - self.erase) * super().G_E(q, R)

    def E(self, R, kappa):
        return (1 - self.erase) * super().E(R, kappa)

    def E_on(self, order):
        e, er = super().E_on(order)
        return (lambda R, k: (1 - self.erase) * e(R, k)), (lambda R, k: (1 - self.erase) * er(R, k))

    def nishimori_qhat(self, q, alpha):
        return super().nishimori_qhat(q, (1 - self.erase) * alpha)

    def sympy_G_E(self):
        import sympy as sp

        return (1 - sp.nsimplify(self.erase)) * super().sympy_G_E()

    def nishimori_G_E(self, q):
        return (1 - self.erase) * super().nishimori_G_E(q)

    def describe(self):
        return f"{super().describe()}, labels erased with probability {self.erase:g}"


class LabelFlip(Teacher):
    """Labels flipped with probability p, no Gaussian noise: the teacher channel at sigma = 0."""

    name = "label-flip"

    def __init__(self, flip, temperature=0.0):
        super().__init__(0.0, flip, temperature)


register_channel("margin", Margin, "capacity: stability above kappa (E1); param kappa=0",
                 examples=({"kappa": 0.0}, {"kappa": 0.5}))
register_channel("teacher", Teacher, "teacher labels, Gaussian noise sigma, flips p, Gibbs temperature (E6); "
                 "params noise=0, flip=0, temperature=0", examples=({}, {"noise": 0.5, "flip": 0.1}))
register_channel("label-flip", LabelFlip, "teacher labels flipped with probability p (E6 at sigma = 0); "
                 "params flip, temperature=0", examples=({"flip": 0.2},))
register_channel("erasure", Erasure, "teacher labels, each lost with probability erase (alpha -> (1 - erase) alpha); "
                 "params erase, noise=0, flip=0, temperature=0", examples=({"erase": 0.3}, {"erase": 0.5, "flip": 0.1}))

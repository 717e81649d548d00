"""Synapse groups: a fraction g_m of the weights in group m follows its own prior P_m
(THEORY.md section 1 and E3).  Each group keeps its own distribution constraint, so the
capacity is not that of the pooled mixture: E3 sums E z T_m over groups."""
from __future__ import annotations

import dataclasses

import mpmath as mp
import numpy as np

from .base import Prior, PriorError, check_probs, second_moment_of


@dataclasses.dataclass(frozen=True)
class GroupPrior:
    """groups = ((g_m, P_m), ...), P_m already carrying its sign (inhibitory: negative)."""

    spec: str
    groups: tuple
    grouped = True

    def __post_init__(self):
        if not self.groups:
            raise PriorError("groups needs at least one group")
        check_probs([g for g, _ in self.groups], what="group fractions")

    @property
    def is_discrete(self) -> bool:
        return all(p.is_discrete for _, p in self.groups)

    @property
    def empirical(self) -> bool:
        return any(p.empirical for _, p in self.groups)

    def moment(self, k: int):
        return mp.fsum(mp.mpf(g) * p.moment(k) for g, p in self.groups)

    def normalized(self) -> "GroupPrior":
        """All groups rescaled by one factor to unit overall second moment."""
        s = 1 / mp.sqrt(second_moment_of(self))
        return dataclasses.replace(self, groups=tuple((g, p.scaled(s)) for g, p in self.groups))

    def shannon_entropy(self):
        """Entropy per weight of the group-labelled discrete configurations."""
        return mp.fsum(mp.mpf(g) * p.shannon_entropy() for g, p in self.groups)

    def sizes(self, n: int) -> np.ndarray:
        """Group sizes for n weights: g_m n rounded, the remainders given to the largest
        fractional parts (so 0.8/0.2 of 100 is 80/20 whatever the last bit of 0.2)."""
        exact = np.array([float(g) for g, _ in self.groups]) * n
        sizes = np.floor(exact + 1e-9).astype(int)
        for k in np.argsort(-(exact - sizes), kind="stable")[: n - sizes.sum()]:
            sizes[k] += 1
        return sizes

    def sample(self, n: int, rng=None):
        """n weights, group m occupying a contiguous block of `sizes(n)[m]` indices."""
        rng = np.random.default_rng(rng)
        sizes = self.sizes(n)
        return np.concatenate([p.sample(int(k), rng) for k, (_, p) in zip(sizes, self.groups)])


def make_groups(spec: str, terms) -> GroupPrior:
    """terms: [(fraction, Prior)]; the fractions renormalised to sum 1 (check_probs)."""
    fracs = check_probs([g for g, _ in terms], what="group fractions")
    return GroupPrior(spec, tuple((g, p) for g, (_, p) in zip(fracs, terms)))


def excitatory_inhibitory(spec, fE=mp.mpf("0.8"), sigmaE=mp.mpf(1), sigmaI=mp.mpf(1)):
    """E/I groups with lognormal magnitudes and E/I balance f_E E|w_E| = f_I E|w_I| (E3).
    E|w| of lognormal(sigma) is exp(sigma^2 / 2), so a_E / a_I = f_I e^{sI^2/2} / (f_E e^{sE^2/2})."""
    from .families import lognormal

    fE = mp.mpf(fE)
    if not 0 < fE < 1:
        raise PriorError(f"fE must be in (0, 1), got {mp.nstr(fE, 8)}")
    fI = 1 - fE
    exc = lognormal("lognormal", sigma=sigmaE)
    inh = lognormal("lognormal", sigma=sigmaI)
    ratio = fI * mp.exp(mp.mpf(sigmaI) ** 2 / 2) / (fE * mp.exp(mp.mpf(sigmaE) ** 2 / 2))
    return GroupPrior(spec, ((fE, exc.scaled(ratio)), (fI, inh.negated()))).normalized()

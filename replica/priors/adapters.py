"""Priors from Python objects rather than spec strings.

    as_prior(x)        str -> the grammar; Prior / GroupPrior -> itself; a frozen
                       scipy.stats distribution -> from_scipy; a sympy.stats random
                       symbol -> from_sympy; a 1-D list/tuple/array of numbers -> from_samples
    from_scipy(d)      scipy.stats.gamma(2), scipy.stats.lognorm(1.0), scipy.stats.binom(3, 0.5)
    from_sympy(X)      sympy.stats.LogNormal("X", 0, 1), sympy.stats.Normal("X", 0, 1), Die("D")
    from_samples(a)    measured weights, the same law a `file:` spec gives

The `spec` of these priors ("scipy:gamma(a=2)", "sympy:LogNormalDistribution(0, 1)",
"samples:n=1000") is for reports only: it does not parse back with `replica.prior`.

No string is ever evaluated here: the sympy expression is the caller's object, lambdified
for mpmath as it is; scipy distributions are called through their own methods.
"""
from __future__ import annotations

import mpmath as mp
import numpy as np

from .base import Continuous, Prior, PriorError, check_probs
from .empirical import MAX_WEIGHTS, check_weights, empirical_prior
from .groups import GroupPrior

MAX_ATOMS = 100_000      # support points of a discrete scipy/sympy law
FLOAT_FLOOR = 1e-13      # relative accuracy claimed for integrals of float64 scipy functions


# ---------------------------------------------------------------- scipy.stats
def _is_scipy_frozen(x) -> bool:
    try:
        from scipy import stats
    except ImportError:   # pragma: no cover
        return False
    return isinstance(getattr(x, "dist", None), (stats.rv_continuous, stats.rv_discrete)) and hasattr(x, "support")


def _scipy_spec(frozen) -> str:
    dist = frozen.dist
    names = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
    items = [f"{n}={v:g}" if isinstance(v, (int, float)) else f"{n}={v}" for n, v in zip(names, frozen.args)]
    items += [f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in sorted(frozen.kwds.items())]
    if len(frozen.args) > len(names):   # loc, scale given positionally
        items += [f"{k}={v:g}" for k, v in zip(("loc", "scale"), frozen.args[len(names):])]
    return f"scipy:{dist.name}({','.join(items)})"


class ScipyLaw(Continuous):
    """A frozen scipy.stats continuous distribution.  Every method, the mp ones included,
    evaluates scipy's float64 functions, so integrals in w carry an error of order 1e-16
    relative to the width of the law: `precision_floor` declares FLOAT_FLOOR times the
    law's root mean square (it scales with w, as ScaledContinuous does), and the capacity
    solvers add it to their error estimate instead of reporting digits scipy does not have."""

    has_closed_transport = False     # T by mp bisection on the float64 CDF (E3 in w-space)
    accurate_float_transport = False  # generic scipy ppf/isf may be root-finders

    def __init__(self, frozen, spec):
        self.frozen, self.text = frozen, spec
        a, b = (float(x) for x in frozen.support())
        self.lo = mp.mpf(a) if np.isfinite(a) else -mp.inf
        self.hi = mp.mpf(b) if np.isfinite(b) else mp.inf
        m2 = float(frozen.moment(2))
        if not (np.isfinite(m2) and m2 > 0):
            raise PriorError(f"{spec} has no finite, positive second moment (E w^2 = {m2:g})")
        self.precision_floor = mp.mpf(FLOAT_FLOOR * np.sqrt(m2))

    def _at(self, fn, w):
        return mp.mpf(float(fn(float(w))))

    def pdf(self, w):
        return self._at(self.frozen.pdf, w)

    def cdf(self, w):
        return self._at(self.frozen.cdf, w)

    def sf(self, w):
        return self._at(self.frozen.sf, w)

    def moment(self, k):
        m = float(self.frozen.moment(k))
        return mp.mpf(m) if np.isfinite(m) else super().moment(k)

    def quantile_from_z(self, z):
        return mp.mpf(float(self.np_transport(np.array([float(z)]))[0]))

    def transport_offset(self, z):
        return self.quantile_from_z(z) - self.quantile_from_z(0)

    def np_pdf(self, w):
        return self.frozen.pdf(np.asarray(w, dtype=float))

    def np_cdf(self, x):
        return self.frozen.cdf(np.asarray(x, dtype=float))

    def np_sf(self, x):
        return self.frozen.sf(np.asarray(x, dtype=float))

    def np_ppf(self, u):
        return self.frozen.ppf(np.asarray(u, dtype=float))

    def np_isf(self, u):
        return self.frozen.isf(np.asarray(u, dtype=float))

    def np_sample(self, n, rng):
        return np.asarray(self.frozen.rvs(size=n, random_state=rng), dtype=float)


def from_scipy(frozen) -> Prior:
    """A Prior from a frozen scipy.stats distribution: continuous -> one `ScipyLaw` part;
    discrete -> its atoms (pmf on a finite support; an infinite support is refused)."""
    from scipy import stats

    if not _is_scipy_frozen(frozen):
        raise PriorError(f"from_scipy needs a frozen scipy.stats distribution such as scipy.stats.gamma(2), "
                         f"got {type(frozen).__name__}")
    spec = _scipy_spec(frozen)
    if isinstance(frozen.dist, stats.rv_continuous):
        return Prior(spec, masses=(mp.mpf(1),), parts=(ScipyLaw(frozen, spec),))
    a, b = (float(x) for x in frozen.support())
    if not (np.isfinite(a) and np.isfinite(b)):
        raise PriorError(f"{spec} has an infinite support [{a:g}, {b:g}]: only discrete laws with finitely many "
                         "atoms are priors (truncate it, e.g. with scipy's rv_discrete(values=...))")
    if b - a + 1 > MAX_ATOMS:
        raise PriorError(f"{spec} has {int(b - a + 1)} support points; at most {MAX_ATOMS}")
    ks = np.arange(a, b + 1)
    pmf = frozen.pmf(ks)
    keep = pmf > 0
    return _atoms(spec, [float(k) for k in ks[keep]], [float(p) for p in pmf[keep]])


def _atoms(spec, values, probs) -> Prior:
    probs = check_probs([mp.mpf(p) for p in probs])
    merged: dict = {}
    for v, p in zip(values, probs):
        merged[mp.mpf(v)] = merged.get(mp.mpf(v), mp.mpf(0)) + p
    vals = tuple(sorted(merged))
    if not any(v != 0 for v in vals):
        raise PriorError(f"{spec} puts all its mass at 0")
    return Prior(spec, values=vals, probs=tuple(merged[v] for v in vals))


# ---------------------------------------------------------------- sympy.stats
def _is_random_symbol(x) -> bool:
    try:
        from sympy.stats.rv import RandomSymbol
    except ImportError:   # pragma: no cover
        return False
    return isinstance(x, RandomSymbol)


def _mp_of(value):
    import sympy

    if value in (sympy.oo, -sympy.oo):
        return mp.inf if value == sympy.oo else -mp.inf
    with mp.workdps(max(mp.mp.dps, 30) + 10):
        return mp.mpf(str(sympy.N(value, max(mp.mp.dps, 30) + 10)))


def _sympy_law_class():
    from .density import DensityLaw, W

    class SympyDensityLaw(DensityLaw):
        """A sympy.stats density: at a support end where the expression cannot be
        evaluated (1/w at w = 0 for the lognormal), its one-sided limit (sympy.limit)."""

        def raw(self, w):
            try:
                return super().raw(w)
            except (ZeroDivisionError, ValueError, TypeError):
                if w not in (self.lo, self.hi):
                    raise
            import sympy

            key = ("limit", w == self.lo)
            if key not in self._cache:
                end = sympy.Float(str(w), 40) if w != 0 else sympy.Integer(0)
                lim = sympy.limit(self.expr, W, end, "+" if w == self.lo else "-")
                if not lim.is_finite:
                    raise ValueError(f"the density is not finite at its support end w = {mp.nstr(w, 6)}")
                self._cache[key] = _mp_of(lim)
            return +self._cache[key]

    return SympyDensityLaw


def from_sympy(X) -> Prior:
    """A Prior from a sympy.stats random symbol: a continuous one by its density
    expression on its support (the machinery of `density:` specs, exact at any mp.dps),
    a finite one (Die, Bernoulli, FiniteRV) by its atoms."""
    import sympy
    from sympy.stats import density
    from sympy.stats.crv import SingleContinuousPSpace
    from sympy.stats.frv import FinitePSpace

    from .density import W, expr_prior

    if not _is_random_symbol(X):
        raise PriorError(f"from_sympy needs a sympy.stats random symbol such as sympy.stats.Normal('X', 0, 1), "
                         f"got {type(X).__name__}")
    space = X.pspace
    dist = getattr(space, "distribution", None)
    spec = f"sympy:{dist if dist is not None else X}"
    if isinstance(space, FinitePSpace):
        table = density(X).dict if hasattr(density(X), "dict") else dict(density(X))
        if len(table) > MAX_ATOMS:
            raise PriorError(f"{spec} has {len(table)} atoms; at most {MAX_ATOMS}")
        items = [(_mp_of(v), _mp_of(p)) for v, p in table.items()]
        return _atoms(spec, [v for v, _ in items], [p for _, p in items])
    if not isinstance(space, SingleContinuousPSpace):
        raise PriorError(f"{spec}: only single continuous or finite sympy.stats random variables are priors")
    family = _sympy_family(dist)
    if family is not None:
        return family
    support = dist.set
    if not isinstance(support, sympy.Interval):
        raise PriorError(f"{spec}: the support {support} is not an interval")
    expr = density(X)(W)
    extra = expr.free_symbols - {W}
    if extra:
        raise PriorError(f"{spec}: the density has free parameters {sorted(map(str, extra))}; give them numbers")
    lo, hi = _mp_of(support.inf), _mp_of(support.sup)
    prior = expr_prior(spec, expr, lo, hi, str(expr), law_cls=_sympy_law_class())
    law = prior.parts[0]
    with mp.workdps(20):
        z = law._tables()["Z"]
    if abs(z - 1) > mp.mpf("1e-8"):
        raise PriorError(f"{spec}: the density integrates to {mp.nstr(z, 10)} on its support, not 1")
    return prior


# sympy.stats distribution -> (registered family, its parameter names in sympy's argument order):
# a variable of a family we know becomes that family, with closed-form tails and transport
# at any precision (a heavy-tailed density such as the lognormal cannot be tabulated in float64)
_SYMPY_FAMILIES = {
    "NormalDistribution": ("gaussian", ("mean", "std")),
    "LogNormalDistribution": ("lognormal", ("mu", "sigma")),
    "ExponentialDistribution": ("exponential", ("rate",)),
    "GammaDistribution": ("gamma", ("k", "theta")),
    "LaplaceDistribution": ("laplace", ("loc", "scale")),
    "UniformDistribution": ("uniform", ("low", "high")),
    "WeibullDistribution": ("weibull", ("scale", "k")),
}


def _sympy_family(dist):
    """The registered family of a sympy distribution with numeric parameters, or None."""
    from .registry import LAWS

    name = type(dist).__name__
    if name not in _SYMPY_FAMILIES or any(not a.is_number for a in dist.args):
        return None
    family, names = _SYMPY_FAMILIES[name]
    params = dict(zip(names, (_mp_of(a) for a in dist.args)))
    spec = f"{family}:" + ",".join(f"{k}={mp.nstr(v, 17)}" for k, v in params.items())
    return LAWS[family].ctor(spec, **params)


# ---------------------------------------------------------------- measured weights
def from_samples(samples, spec: str | None = None) -> Prior:
    """Equal mass on each measured weight: the prior a `file:` spec gives for the same numbers."""
    try:
        data = np.asarray(samples, dtype=float)
    except (TypeError, ValueError) as exc:
        raise PriorError(f"from_samples needs numbers ({exc})") from None
    if data.ndim != 1:
        raise PriorError(f"from_samples needs a 1-D array of weights, got shape {data.shape}")
    if data.size > MAX_WEIGHTS:
        raise PriorError(f"from_samples got {data.size} weights; at most {MAX_WEIGHTS}")
    check_weights(data, "the sample array")
    return empirical_prior(spec or f"samples:n={data.size}", data)


# ---------------------------------------------------------------- any of the above
ACCEPTED = ("a spec string, a Prior or GroupPrior, a frozen scipy.stats distribution, "
            "a sympy.stats random symbol, or a 1-D list/tuple/array of weights")


def as_prior(x):
    """The prior that `x` describes (see the module docstring); PriorError otherwise."""
    if isinstance(x, str):
        from .grammar import parse_prior

        return parse_prior(x)
    if isinstance(x, (Prior, GroupPrior)):
        return x
    if _is_scipy_frozen(x):
        return from_scipy(x)
    if _is_random_symbol(x):
        return from_sympy(x)
    if isinstance(x, (list, tuple, np.ndarray)):
        arr = np.asarray(x, dtype=object if not isinstance(x, np.ndarray) else None)
        if isinstance(x, np.ndarray) and x.dtype.kind not in "fiu":
            raise PriorError(f"cannot make a prior from an array of dtype {x.dtype}: give {ACCEPTED}")
        if not isinstance(x, np.ndarray) and not all(
                isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in arr.ravel()):
            raise PriorError(f"cannot make a prior from a {type(x).__name__} holding non-numbers: give {ACCEPTED}")
        return from_samples(x)
    raise PriorError(f"cannot make a prior from a {type(x).__name__}: give {ACCEPTED}")

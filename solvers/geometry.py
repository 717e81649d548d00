"""Numerics of plasticity geometry (float64): the push-forward law of the weights after
mirror descent, its fit to data, and the distances that compare it with trained weights.

Model (Pogodin et al., ICLR 2024, with the reaction term of the cavity argument in
`replica.geometry`):  for each synapse, with theta = phi'(w) the dual variable,

    theta_after = g(w_before) + m + s xi,      g(u) = phi'(u) - c u,     xi ~ N(0, 1)

independent of w_before; c = 0 is the paper's model.  The law of theta_after is a Gaussian
smoothing of the law of g(w_before); the law of w_after is its push-forward through
(phi')^{-1}.  Since (phi')^{-1} is increasing,

    F_after(w) = F_theta(phi'(w)),  f_after(w) = phi''(w) f_theta(phi'(w)),
    Q_after(u) = (phi')^{-1}(Q_theta(u)).

The law of g(w_before) is represented by weighted nodes (g_k, p_k): a continuous law by its
quantile function at a trapezoid grid in z-space (z in [-8.5, 8.5], weights
phi(z), 1601 nodes; spectrally accurate while the node spacing in theta stays below s, which
fails only in the far tails of heavy-tailed duals, where the CDF error is bounded by the
node weights: `node_error` estimates it by halving the nodes), atoms and samples by
themselves (binned to 0.02 of their std, `sample_nodes`).  This module is duck-typed on the
potential (grad, inv_grad, hess callables) and never imports `replica`.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import interpolate, optimize, special, stats

Z_REACH, Z_COUNT = 8.5, 1601
MAX_NODES = 2000


# ---------------------------------------------------------------- monotone inverse
def invert_monotone(f, y, lo=-math.inf, hi=math.inf, df=None, max_iter=2200):
    """x with f(x) = y for an increasing f on (lo, hi), vectorised: brackets are grown
    geometrically from [-1, 1] (clipped into the open domain), then bisection to a relative
    width of 4 eps, then one Newton polish step inside the bracket when df is given.
    ValueError if some y lies outside the range reached by f."""
    y = np.atleast_1d(np.asarray(y, dtype=float))
    a = np.full(y.shape, _inside(-1.0, lo, hi))
    b = np.full(y.shape, _inside(1.0, lo, hi))
    with np.errstate(over="ignore", invalid="ignore"):
        return _bisect(f, y, a, b, lo, hi, df, max_iter)


def _bisect(f, y, a, b, lo, hi, df, max_iter):
    for _ in range(1100):
        fa, fb = f(a), f(b)
        low, high = fa > y, fb < y
        if not (low.any() or high.any()):
            break
        a = np.where(low, _step_out(a, lo, -1), a)
        b = np.where(high, _step_out(b, hi, +1), b)
    else:
        raise ValueError("value outside the range of phi' (no preimage in the domain)")
    for _ in range(max_iter):
        mid = 0.5 * (a + b)
        go_right = f(mid) < y
        a = np.where(go_right, mid, a)
        b = np.where(go_right, b, mid)
        if np.all(b - a <= 4 * np.finfo(float).eps * np.maximum(np.abs(a), np.abs(b)) + 1e-300):
            break
    out = 0.5 * (a + b)
    if df is not None:
        with np.errstate(all="ignore"):
            newton = out - (f(out) - y) / df(out)
        ok = np.isfinite(newton) & (newton >= a) & (newton <= b)
        out = np.where(ok, newton, out)
    return out


def _inside(x, lo, hi):
    if lo < x < hi:
        return x
    if math.isfinite(lo) and math.isfinite(hi):
        return 0.5 * (lo + hi)
    return lo + 1.0 if math.isfinite(lo) else hi - 1.0


def _step_out(x, end, sign):
    """Move x towards `end` (possibly infinite): double the distance, or halve the gap."""
    if math.isfinite(end):
        return end - 0.5 * (end - x)
    return np.where(sign * x > 0, 2 * x, sign * 1.0) if np.ndim(x) else (2 * x if sign * x > 0 else sign)


# ---------------------------------------------------------------- nodes
def law_nodes(values=(), probs=(), masses=(), part_ppfs=(), n_z=Z_COUNT):
    """Weighted nodes (u_k, p_k) for a law made of atoms (values, probs) and continuous parts
    (masses, part quantile functions): each part's quantile at n_z equally spaced z in
    [-8.5, 8.5] with trapezoid weights phi(z) dz."""
    z = np.linspace(-Z_REACH, Z_REACH, n_z)
    u_list = [np.asarray(values, dtype=float)]
    p_list = [np.asarray(probs, dtype=float)]
    pz = np.exp(-0.5 * z ** 2)
    pz /= pz.sum()
    uz = special.ndtr(z)
    for c, f in zip(masses, part_ppfs):
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # ppf(1) = inf: dropped below
            u_list.append(np.asarray(f(uz), dtype=float))
        p_list.append(float(c) * pz)
    u, p = np.concatenate(u_list), np.concatenate(p_list)
    keep = np.isfinite(u) & (p > 0)
    return u[keep], p[keep] / p[keep].sum()


def node_error(fine: "DualMixture", coarse: "DualMixture", probes=201):
    """max |F_fine - F_coarse| at quantiles of the fine law from 1e-6 to 1 - 1e-6: the error
    estimate of a node representation (coarse = half the nodes; conservative for the fine)."""
    t = fine.ppf(np.linspace(1e-6, 1 - 1e-6, probes))
    return float(np.max(np.abs(fine.cdf(t) - coarse.cdf(t))))


def sample_nodes(x, width=0.02, max_nodes=MAX_NODES):
    """A sample as nodes: points binned to bins of `width` times the sample's std (at least
    range / max_nodes), each bin replaced by its mean with its count as mass.  Bins narrower
    than the dual spread s change the fitted law by O(width^2 std^2 / s^2); sparse tails keep
    their individual points."""
    x = np.sort(np.asarray(x, dtype=float))
    span = x[-1] - x[0]
    h = max(width * float(np.std(x)), span / max_nodes)
    if h <= 0:
        return x[:1], np.ones(1)
    bins = np.floor((x - x[0]) / h).astype(np.int64)
    starts = np.flatnonzero(np.concatenate([[True], np.diff(bins) > 0]))
    counts = np.diff(np.concatenate([starts, [len(x)]]))
    return np.add.reduceat(x, starts) / counts, counts / len(x)


# ---------------------------------------------------------------- the dual law
_REACH = 38.0  # |z| beyond which Phi(-z), phi(z) underflow in float64: nodes farther away count as 0 or 1
_BLOCK = 256


@dataclasses.dataclass
class DualMixture:
    """theta = g_k + m + s xi with probability p_k, xi ~ N(0, 1), s > 0.

    Sums over nodes are windowed: for a block of sorted evaluation points only the nodes
    within 38 s (plus each point's nearest neighbours) are summed, the nodes below or above
    entering through cumulative masses; exact in float64, and fast when s is small."""

    g: np.ndarray
    p: np.ndarray
    m: float
    s: float

    def __post_init__(self):
        g = np.asarray(self.g, dtype=float)
        order = np.argsort(g, kind="stable")
        self.g, self.p = g[order], np.asarray(self.p, dtype=float)[order]
        if not self.s > 0:
            raise ValueError("the dual spread s must be > 0")
        self._below = np.concatenate([[0.0], np.cumsum(self.p)])            # mass of nodes < k
        self._above = np.concatenate([np.cumsum(self.p[::-1])[::-1], [0.0]])  # mass of nodes >= k
        self._logp = np.log(self.p)
        self._table = None

    def _blocks(self, t):
        """(indices into t, standardised distances to the window's nodes, window a:b)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        order = np.argsort(t, kind="stable")
        ts = t[order]
        k = len(self.g)
        for i in range(0, len(ts), _BLOCK):
            tb = ts[i:i + _BLOCK]
            lo, hi = tb[0] - self.m, tb[-1] - self.m
            a = min(np.searchsorted(self.g, lo - _REACH * self.s), max(np.searchsorted(self.g, lo) - 1, 0))
            b = max(np.searchsorted(self.g, hi + _REACH * self.s, "right"), min(np.searchsorted(self.g, hi) + 1, k))
            yield order[i:i + _BLOCK], (tb[:, None] - self.g[None, a:b] - self.m) / self.s, a, b

    def cdf(self, t):
        out = np.empty(np.shape(np.atleast_1d(t)))
        for idx, zz, a, b in self._blocks(t):
            out[idx] = self._below[a] + special.ndtr(zz) @ self.p[a:b]
        return np.minimum(out, 1.0)

    def sf(self, t):
        out = np.empty(np.shape(np.atleast_1d(t)))
        for idx, zz, a, b in self._blocks(t):
            out[idx] = self._above[b] + special.ndtr(-zz) @ self.p[a:b]
        return np.minimum(out, 1.0)

    def pdf(self, t):
        out = np.empty(np.shape(np.atleast_1d(t)))
        with np.errstate(over="ignore"):
            for idx, zz, a, b in self._blocks(t):
                out[idx] = np.exp(-0.5 * zz * zz) @ self.p[a:b]
        return out / (self.s * math.sqrt(2 * math.pi))

    def logpdf(self, t):
        return self.loglik_grad(t, per_point=True)

    def loglik_grad(self, t, per_point=False):
        """Mean log-density of the points t and its gradient in (m, log s); per_point=True
        returns the log-densities instead."""
        n = len(np.atleast_1d(t))
        out = np.empty(n)
        dm = dls = 0.0
        for idx, zz, a, b in self._blocks(t):
            la = -0.5 * zz * zz + self._logp[None, a:b]
            lse = special.logsumexp(la, axis=1)
            out[idx] = lse
            if not per_point:
                r = np.exp(la - lse[:, None])
                dm += np.sum(r * zz) / self.s
                dls += np.sum(r * (zz * zz - 1.0))
        out -= math.log(self.s * math.sqrt(2 * math.pi))
        if per_point:
            return out
        return float(out.mean()), np.array([dm / n, dls / n])

    def mean(self):
        return float(self.p @ self.g + self.m)

    def var(self):
        mu = self.p @ self.g
        return float(self.p @ (self.g - mu) ** 2 + self.s ** 2)

    def ppf(self, u):
        """Quantile function from a monotone table of t against the normal score
        Phi^{-1}(F(t)) on 2401 equally spaced scores in [-12, 12], each solved to rounding by
        Newton steps on log F (log of the upper tail above the median); cubic Hermite in
        between with the exact slopes dt/ds = phi(s) / f(t) (PCHIP slopes where the node density
        is too spiky to give one).  Built once."""
        u = np.asarray(u, dtype=float)
        if self._table is None:
            self._table = self._build_table()
        f, smin, smax = self._table
        score = np.clip(special.ndtri(np.clip(u, 1e-300, 1 - 1e-16)), smin, smax)
        return np.where(u <= 0, -np.inf, np.where(u >= 1, np.inf, f(score)))

    def _build_table(self):
        gs = np.sort(self.g)
        pick = np.unique(np.linspace(0, len(gs) - 1, min(len(gs), 200)).round().astype(int))
        grid = np.unique((gs[pick][:, None] + self.m + self.s * np.linspace(-9, 9, 25)[None, :]).ravel())
        F, S = self.cdf(grid), self.sf(grid)
        score = np.where(F < 0.5, special.ndtri(np.maximum(F, 1e-300)), -special.ndtri(np.maximum(S, 1e-300)))
        keep = np.isfinite(score) & (F > 1e-290) & (S > 1e-290)
        score, grid = score[keep], grid[keep]
        inc = np.concatenate([[True], np.diff(score) > 1e-13])
        coarse = interpolate.PchipInterpolator(score[inc], grid[inc], extrapolate=True)
        sj = np.linspace(max(score[inc][0], -12.0), min(score[inc][-1], 12.0), 2401)
        tj, dj = self._solve_scores(sj, coarse(sj))
        # where t moves by more than s/20 between scores (troughs of multimodal laws, sparse
        # tails) within |score| < 6, refine once: the cubic's error falls with the fourth
        # power of the step
        dt = np.diff(tj)
        bad = np.flatnonzero((dt > self.s / 20) & (np.abs(sj[:-1]) < 6))[:1000]
        if len(bad):
            k = np.minimum(np.ceil(dt[bad] / (self.s / 20)).astype(int), 8)
            extra = np.concatenate([np.linspace(sj[i], sj[i + 1], n + 1)[1:-1] for i, n in zip(bad, k)])
            te, de = self._solve_scores(extra, self._hermite(sj, tj, dj)(extra))
            order = np.argsort(np.concatenate([sj, extra]), kind="stable")
            sj, tj, dj = (np.concatenate(v)[order] for v in ((sj, extra), (tj, te), (dj, de)))
        return self._hermite(sj, tj, dj), sj[0], sj[-1]

    def _solve_scores(self, sj, tj):
        """t with Phi^{-1}(F(t)) = s for each score s, by Newton steps on log F (log of the
        upper tail above the median) from the guesses tj; and the slopes dt/ds."""
        low = sj < 0
        target = np.where(low, special.log_ndtr(sj), special.log_ndtr(-sj))
        tj = np.array(tj, dtype=float)
        todo = np.arange(len(sj))
        for _ in range(5):
            t, lo_ = tj[todo], low[todo]
            tail = np.empty(len(todo))
            tail[lo_], tail[~lo_] = self.cdf(t[lo_]), self.sf(t[~lo_])
            with np.errstate(all="ignore"):
                step = (np.log(tail) - target[todo]) * tail / self.pdf(t)
            step = np.where(lo_, step, -step)
            ok = np.isfinite(step) & (np.abs(step) < 4 * self.s)
            tj[todo] = np.where(ok, t - step, t)
            todo = todo[ok & (np.abs(step) > 1e-13 * (self.s + np.abs(t)))]
            if not len(todo):
                break
        with np.errstate(all="ignore"):
            dj = np.exp(-0.5 * sj * sj) / math.sqrt(2 * math.pi) / self.pdf(tj)   # dt/ds = phi(s) / f(t)
        return tj, dj

    @staticmethod
    def _hermite(sj, tj, dj):
        """Cubic Hermite through (s, t) with the exact slopes where the node density gives
        them (it is spiky where nodes are sparser than s: there the monotone PCHIP slopes)."""
        inc = np.concatenate([[True], np.diff(tj) > 0])
        sj, tj, dj = sj[inc], tj[inc], dj[inc]
        dp = interpolate.PchipInterpolator(sj, tj).derivative()(sj)
        dj = np.where(np.isfinite(dj) & (np.abs(dj - dp) < 0.5 * dp), dj, dp)
        return interpolate.CubicHermiteSpline(sj, tj, dj, extrapolate=True)

    def sample(self, n, rng):
        rng = np.random.default_rng(rng)
        k = rng.choice(len(self.g), size=n, p=self.p)
        return self.g[k] + self.m + self.s * rng.standard_normal(n)


@dataclasses.dataclass
class PushForward:
    """w = (phi')^{-1}(theta), theta ~ DualMixture; the potential is duck-typed
    (grad, inv_grad, hess, in_domain)."""

    dual: DualMixture
    potential: object

    def cdf(self, w):
        return self._on_domain(w, self.dual.cdf, 0.0, 1.0)

    def pdf(self, w):
        w = np.asarray(w, dtype=float)
        inside = self.potential.in_domain(w)
        out = np.zeros(w.shape)
        wi = w[inside]
        with np.errstate(all="ignore"):  # phi'' or phi' infinite far out (sinh, ...): the density is 0 there
            val = self.potential.hess(wi) * self.dual.pdf(self.potential.grad(wi))
        out[inside] = np.where(np.isfinite(val), val, 0.0)
        return out

    def logpdf(self, w):
        w = np.asarray(w, dtype=float)
        inside = self.potential.in_domain(w)
        out = np.full(w.shape, -np.inf)
        wi = w[inside]
        with np.errstate(divide="ignore"):
            out[inside] = np.log(self.potential.hess(wi)) + self.dual.logpdf(self.potential.grad(wi))
        return out

    def ppf(self, u):
        return self.potential.inv_grad(self.dual.ppf(u))

    def sample(self, n, rng):
        return self.potential.inv_grad(self.dual.sample(n, rng))

    def moment(self, k):
        """E w^k = int (phi')^{-1}(t)^k f_theta(t) dt over the nodes' range +- 38 s, split
        at the dual law's quartiles and at 0 ((phi')^{-1} may have a root
        singularity there, p-norm p > 2), each piece by tanh-sinh quadrature (vectorised;
        endpoint singularities converge as fast as smooth integrands)."""
        d = self.dual
        cuts = [d.g[0] + d.m - _REACH * d.s, *d.ppf(np.array([0.25, 0.5, 0.75])), d.g[-1] + d.m + _REACH * d.s]
        if cuts[0] < 0 < cuts[-1]:
            cuts = sorted(cuts + [0.0])
        x, wx = _tanh_sinh()
        a, b = np.array(cuts[:-1]), np.array(cuts[1:])
        t = (0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * x[None, :]).ravel()
        wt = (0.5 * (b - a)[:, None] * wx[None, :]).ravel()
        return float(np.sum(wt * self.potential.inv_grad(t) ** k * d.pdf(t)))

    def _on_domain(self, w, fn, below, above):
        w = np.atleast_1d(np.asarray(w, dtype=float))
        inside = self.potential.in_domain(w)
        out = np.where(w <= self.potential.lo, below, above).astype(float)
        out[inside] = fn(self.potential.grad(w[inside]))
        return out


def _tanh_sinh(h=1.0 / 64, reach=3.2):
    """Nodes and weights of tanh-sinh quadrature on (-1, 1)."""
    tau = np.arange(-reach, reach + h / 2, h)
    u = 0.5 * np.pi * np.sinh(tau)
    x = np.tanh(u)
    w = h * 0.5 * np.pi * np.cosh(tau) / np.cosh(u) ** 2
    keep = np.abs(x) < 1
    return x[keep], w[keep]


# ---------------------------------------------------------------- distances
def ks_distance(x, cdf):
    """sup |F_n - F| between the sample x and a continuous law with CDF `cdf`."""
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    F = np.asarray(cdf(x), dtype=float)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - F), np.max(F - (i - 1) / n)))


_GL_X, _GL_W = np.polynomial.legendre.leggauss(3)


def w2_distance(x, ppf=None, cell_quantiles=None):
    """W2 between the empirical law of x and a law with quantile function `ppf`:
    W2^2 = sum_i int_{(i-1)/n}^{i/n} (x_(i) - Q(u))^2 du, each cell by 3-point Gauss-Legendre
    (`cell_quantiles`: Q at those points, from `cell_points(n)`, to reuse across samples)."""
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    q = cell_quantiles if cell_quantiles is not None else np.asarray(ppf(cell_points(n)), dtype=float)
    q = q.reshape(n, len(_GL_X))
    return float(np.sqrt(np.sum((x[:, None] - q) ** 2 * _GL_W[None, :] * 0.5 / n)))


def cell_points(n):
    centers = (np.arange(n) + 0.5) / n
    return (centers[:, None] + 0.5 / n * _GL_X[None, :]).ravel()


def w2_samples(a, b):
    """W2 between two empirical laws (exact: piecewise-constant quantile functions)."""
    a, b = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    cuts = np.union1d(np.arange(1, len(a)) / len(a), np.arange(1, len(b)) / len(b))
    edges = np.concatenate([[0.0], cuts, [1.0]])
    mid = 0.5 * (edges[1:] + edges[:-1])
    ia = np.minimum((mid * len(a)).astype(int), len(a) - 1)
    ib = np.minimum((mid * len(b)).astype(int), len(b) - 1)
    return float(np.sqrt(np.sum(np.diff(edges) * (a[ia] - b[ib]) ** 2)))


def ks_critical(n, level=0.99):
    """The `level` quantile of the one-sample Kolmogorov statistic at sample size n (exact)."""
    return float(stats.kstwo.ppf(level, n))


def w2_null_quantile(ppf, sample, n, level=0.99, reps=200, rng=0):
    """The `level` quantile of W2(empirical law of n draws, law) when the draws do come from
    the law (parametric bootstrap over `reps` samples drawn by sample(n, rng)): the tolerance
    a W2 distance at this N must meet for the law to be consistent with a sample."""
    rng = np.random.default_rng(rng)
    cells = np.asarray(ppf(cell_points(n)), dtype=float)
    vals = [w2_distance(sample(n, rng), cell_quantiles=cells) for _ in range(reps)]
    return float(np.quantile(vals, level))


def qq_points(x, ppf):
    """(theoretical quantiles at (i - 1/2)/n, sorted sample) for a QQ plot."""
    x = np.sort(np.asarray(x, dtype=float))
    return np.asarray(ppf((np.arange(len(x)) + 0.5) / len(x)), dtype=float), x


# ---------------------------------------------------------------- fitting the dual Gaussian
def fit_dual_gaussian(theta_after, g, p, s_floor=None):
    """Maximum-likelihood (m, s) of theta_after ~ sum_k p_k N(g_k + m, s^2), started from
    the moment match (m = mean difference, s^2 = variance difference, floored).  Returns
    (m, s, mean log-likelihood per point in theta).  L-BFGS on (m, log s) with the
    analytic gradient; for more than 5000 points the optimisation uses an even-quantile
    subsample of 5000 and the returned likelihood all points."""
    t = np.asarray(theta_after, dtype=float)
    g, p = np.asarray(g, dtype=float), np.asarray(p, dtype=float)
    mu_g = p @ g
    var_g = p @ (g - mu_g) ** 2
    spread = math.sqrt(max(var_g, np.var(t), 1e-300))
    floor = s_floor if s_floor is not None else 1e-3 * spread
    m0 = float(t.mean() - mu_g)
    s0 = math.sqrt(max(np.var(t) - var_g, (0.1 * spread) ** 2, floor ** 2))
    ts = np.sort(t)[np.linspace(0, len(t) - 1, min(len(t), 5000)).round().astype(int)]
    order = np.argsort(g, kind="stable")
    g, p = g[order], p[order]

    def nll(x):
        val, grad = DualMixture(g, p, x[0], math.exp(x[1])).loglik_grad(ts)
        return -val, -grad

    res = optimize.minimize(nll, [m0, math.log(s0)], jac=True, method="L-BFGS-B",
                            bounds=[(None, None), (math.log(floor), math.log(100 * spread))])
    m, s = float(res.x[0]), float(math.exp(res.x[1]))
    return m, s, DualMixture(g, p, m, s).loglik_grad(t)[0]


def paired_changes(theta_before, theta_after, w_before):
    """Per-synapse dual changes d = theta_after - theta_before: their mean and std (the ML
    Gaussian), the KS distance of the standardised changes from N(0, 1), skewness and
    excess kurtosis, and their dependence on the initial weight: Pearson and Spearman
    correlations of d with w_before, the Spearman correlation of |d - mean| with w_before
    (a spread that depends on the weight), and the regression slope of d on w_before
    (minus the reaction coefficient c)."""
    d = np.asarray(theta_after, dtype=float) - np.asarray(theta_before, dtype=float)
    w = np.asarray(w_before, dtype=float)
    m, s = float(d.mean()), float(d.std())
    out = {"dual_mean": m, "dual_std": s}
    if s > 0:
        out["ks_gaussian"] = ks_distance((d - m) / s, special.ndtr)
        out["skewness"] = float(stats.skew(d))
        out["excess_kurtosis"] = float(stats.kurtosis(d))
        out["corr_change_init"] = float(np.corrcoef(d, w)[0, 1]) if np.std(w) > 0 else 0.0
        out["spearman_change_init"] = float(stats.spearmanr(d, w).statistic) if np.std(w) > 0 else 0.0
        out["spearman_spread_init"] = float(stats.spearmanr(np.abs(d - m), w).statistic) if np.std(w) > 0 else 0.0
        out["reaction_slope"] = float(np.cov(d, w)[0, 1] / np.var(w, ddof=1)) if np.std(w) > 0 else 0.0
    return out


# ---------------------------------------------------------------- small-alpha (lazy) theory
def hinge_lazy_dual(u, p, hess, alpha, kappa=0.0, R=0.0):
    """Dual-change parameters predicted for hinge-type losses trained to zero loss at small
    alpha (replica.geometry.lazy_dual derives them).  u, p: nodes of the initial weights.
    Returns (s, c): the std of the Gaussian part and the reaction coefficient."""
    u, p = np.asarray(u, dtype=float), np.asarray(p, dtype=float)
    A = float(p @ (1.0 / hess(u)))
    Q = float(p @ u ** 2)
    x, wx = np.polynomial.hermite_e.hermegauss(80)
    wx = wx / wx.sum()
    mu = math.sqrt(Q) * R * np.abs(x)                 # mean margin given the teacher's field |u|
    sd = math.sqrt(Q * max(1.0 - R * R, 0.0))
    if sd > 0:
        a = (kappa - mu) / sd
        deficit2 = ((kappa - mu) ** 2 + sd ** 2) * special.ndtr(a) + (kappa - mu) * sd * np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        active = special.ndtr(a)
    else:
        deficit2 = np.maximum(kappa - mu, 0.0) ** 2
        active = (mu < kappa).astype(float)
    return math.sqrt(alpha * float(wx @ deficit2)) / A, alpha * float(wx @ active) / A

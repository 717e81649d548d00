"""User-facing capacity API: `replica.capacity(prior, kappa, dps)` and `replica.curve(...)`.

Conventions (THEORY.md section 1): weights rescaled to unit second moment, patterns
N(0,1), margin kappa measured against that norm, alpha = P / N.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import warnings

import mpmath as mp
import numpy as np

from solvers import continuum, rs_saddle
from solvers.capacity import BoundViolation, capacity_e3, capacity_e3_np, half_ulp
from solvers.rs_saddle_mp import MAX_ATOMS, entropy_zero_mp

from .common.decimals import exact, to_float, to_mpf
from .common.errors import Refused, UserError
from .priors import PriorError, as_prior, prior as parse_prior
from .results import Result, printable_digits


def _as_prior(p, dps=15):
    """Specs are built at the working precision: constructors derive constants (E/I balance,
    normalisations) when called.  A prior object passed in keeps the precision it was made at."""
    if isinstance(p, str):
        with mp.workdps(dps + 10):
            return parse_prior(p)
    return as_prior(p)      # a law object, a frozen scipy.stats law, a sympy.stats variable, samples


def check_kappa(kappa):
    """kappa as an exact number (replica.common.decimals: '0.1' is 1/10, not a double);
    PriorError unless it is a finite number >= 0."""
    try:
        k = exact(kappa, "kappa")
    except UserError as exc:
        raise PriorError(str(exc)) from None
    if k < 0:
        raise PriorError(f"kappa must be a finite number >= 0, got {kappa}")
    return k


def check_alphas(alphas, convert=to_float, positive=False):
    """Loads as exact numbers (text '0.1' is 1/10) passed through `convert` (to_float for
    float64 paths, to_mpf at the working precision); PriorError unless each is a finite
    number >= 0 (> 0 if `positive`)."""
    if isinstance(alphas, (str, bytes)) or not hasattr(alphas, "__iter__"):
        raise PriorError(f"alphas must be a sequence of loads, e.g. [0.5, '1.5'], got {alphas!r}"[:200])
    try:
        vals = [exact(a, "alpha") for a in alphas]
    except UserError as exc:
        raise PriorError(str(exc)) from None
    if any(a <= 0 if positive else a < 0 for a in vals):
        raise PriorError(f"alpha values must be finite and {'> 0' if positive else '>= 0'}")
    return [convert(a) for a in vals]


def check_dps(dps):
    if not isinstance(dps, int) or not 5 <= dps <= 1000:
        raise PriorError(f"dps must be an integer between 5 and 1000, got {dps}")
    return dps


def require_spread(p):
    """PriorError for a prior whose weights all take one value (a point mass, also after
    merging duplicate atoms or dropping zero-probability ones, or a constant weight file):
    the weight vector is then fixed up to its norm, no load alpha > 0 can be stored
    (alpha_c = 0), and E3's E z T = 0 is no solvable saddle point."""
    groups = p.groups
    if all(part.is_discrete and len(part.values) == 1 for _, part in groups):
        vals = ", ".join(mp.nstr(part.values[0], 8) for _, part in groups)
        raise PriorError(f"prior '{p.spec}' is a point mass (every weight equals {vals}): the weight vector "
                         "is fixed, so nothing can be stored (alpha_c = 0); capacity and curve need at least "
                         "two distinct weight values")


@dataclasses.dataclass(frozen=True)
class CapacityResult:
    """Capacity of one prior at one margin.

    alpha_c: the physical capacity: alpha_rs for continuous priors; for discrete priors the
      smaller of alpha_rs and the zero-entropy point (E4).
    alpha_rs: q -> 1 limit of the RS saddle point (E3).
    alpha_entropy_zero: where the RS entropy vanishes (discrete priors; None otherwise).
    alpha_at: de Almeida-Thouless instability of the RS solution (discrete priors, float64).
    """

    prior: str
    kappa: object
    dps: int
    alpha_c: object
    alpha_rs: object
    alpha_entropy_zero: object
    alpha_at: float | None
    w2_distance: object
    ez_transport: object
    error_estimate: object
    method: str
    w2_error: object = None
    rs_error: object = None      # E3's own estimate for alpha_rs (alpha_c's includes E4's)

    @property
    def relative_error(self):
        return self.error_estimate / abs(self.alpha_c) if self.alpha_c else mp.inf

    def to_dict(self) -> dict:
        """JSON-ready: high-precision numbers as strings holding `dps` digits (replica.output)."""
        from .output import capacity_dict

        return capacity_dict(self.result())

    def result(self) -> Result:
        """The lossless `Result` (mp values at full precision, tagged)."""
        names = ("alpha_c", "alpha_rs", "alpha_entropy_zero", "alpha_at", "w2_distance", "ez_transport")
        return Result("capacity", {"prior": self.prior, "kappa": self.kappa}, {n: getattr(self, n) for n in names},
                      {"alpha_c": self.error_estimate, "w2_distance": self.w2_error,
                       **({} if self.rs_error is None else {"alpha_rs": self.rs_error})}, self.method, self.dps)


def capacity(prior, kappa=0, dps: int = 30, entropy: bool = True):
    """Storage capacity alpha_c of a perceptron with weights drawn from `prior` (THEORY.md E3, E4).

    Parameters
    ----------
    prior : str or Prior
        A prior spec (``replica priors`` lists the grammar) or a law object; weights are
        rescaled to E w^2 = 1.
    kappa : str, Decimal, int, float, mpf, or a sequence of them
        Margin(s) >= 0; text is an exact decimal ("0.1" is 1/10, read at the working
        precision), a float the decimal of its repr; a sequence shares the prior's
        transport integrals across the sweep.
    dps : int
        Decimal digits of the mp computation (5-1000); the result carries an error estimate
        from a rerun at dps + 10.
    entropy : bool
        For discrete priors also the zero-entropy point (E4), which bounds alpha_c.

    Returns
    -------
    CapacityResult or list of CapacityResult
        ``alpha_c``, ``alpha_rs`` (q -> 1 limit, E3), ``alpha_entropy_zero`` (E4),
        ``w2_distance`` to N(0,1), ``error_estimate`` (absolute, on alpha_c), ``method``.

    Examples
    --------
    >>> import replica
    >>> r = replica.capacity("gaussian", kappa=0, dps=20)      # Gardner: alpha_c = 2
    >>> r.alpha_c
    mpf('2.0')
    >>> print(replica.capacity("lognormal:sigma=1", dps=15).alpha_c)
    0.735758882342885
    >>> import mpmath as mp                 # kappa as text: exactly 1/10, so 1 / I(1/10) (E3)
    >>> print(mp.nstr(replica.capacity("gaussian", kappa="0.1", dps=30).alpha_c, 30))
    1.70963150024835083906253124688
    """
    single = not isinstance(kappa, (list, tuple, np.ndarray))
    kappas = [kappa] if single else list(kappa)
    kappas = [check_kappa(k) for k in kappas]
    check_dps(dps)
    p = _as_prior(prior, dps)
    require_spread(p)
    with mp.workdps(dps + 20):  # the user's decimal at working precision, not rounded to 53 bits
        kappas = [to_mpf(k) for k in kappas]
    try:
        e3 = capacity_e3(p, kappas, dps)
    except BoundViolation as exc:
        raise Refused(f"prior '{p.spec}': {exc}") from None
    out = []
    discrete = p.is_discrete and not p.empirical
    measures = rs_saddle.measures_of(p) if discrete and entropy else None
    if measures is not None:
        _warn_runtime(p, dps, len(kappas))
    for k, r in zip(kappas, e3):
        a_ent, a_at, err, method = None, None, r.error, r.method
        if measures is not None:
            _check_resolvable(p, r.alpha_c)
            a_ent, a_at, err_ent, how = _discrete_criteria(p, measures, k, dps)
            err = max(err, err_ent)
            method += "; " + how
        with mp.workdps(dps + 5):
            alpha_c = r.alpha_c if a_ent is None else min(a_ent, r.alpha_c)
            if a_ent is not None:   # the printed alpha_c is the rounded entropy zero then
                err = max(err, r.error) + half_ulp(alpha_c, dps)
        out.append(CapacityResult(p.spec, k, dps, alpha_c, r.alpha_c, a_ent, a_at, r.w2, r.ez_t, err, method,
                                  r.w2_error, r.error))
    _warn_precision(out, dps)
    return out[0] if single else out


def e4_seconds(n_atoms: int, dps: int) -> float:
    """Rough CPU time of the zero-entropy solve (E4) for one kappa, float64 scans included:
    measured 0.5 s (2 atoms), 1.2-2.1 s (3-5 atoms) at dps 30, 1.7 s, 4.4 s and 25 s
    (2 atoms) at dps 60, 100 and 200 (trapezoid sums), so about dps^2."""
    return (0.5 if n_atoms <= 2 else 2.0) * (dps / 30) ** 2


def _warn_runtime(p, dps, n_kappa):
    """A warning with an estimate when the E4 solve will take more than about a minute."""
    if p.grouped or len(p.values) > MAX_ATOMS:
        return   # float64 E4 only: fast
    t = n_kappa * e4_seconds(len(p.values), dps)
    if t > 60:
        warnings.warn(f"the zero-entropy solve (E4) at {dps} digits for {len(p.values)} atoms"
                      f"{f' and {n_kappa} margins' if n_kappa > 1 else ''} takes about {t / 60:.0f} min"
                      + (f" (about dps^2; {e4_seconds(len(p.values), 30) * n_kappa:.0f} s at --dps 30)" if dps > 30
                         else ""),
                      RuntimeWarning, stacklevel=3)


def _warn_precision(results, dps):
    """A result whose error estimate exceeds the requested precision (more than one unit
    in the dps-th digit) says so, with the estimate (a warning, exit 0); the printed value
    then stops at the digits it supports (`results.printable_digits`).  Above 1e-3
    relative the number is withheld (Refused)."""
    worst = max(results, key=lambda r: r.relative_error)
    rel = worst.relative_error
    if rel > mp.mpf("1e-3"):
        raise Refused(f"prior '{worst.prior}': alpha_c = {mp.nstr(worst.alpha_c, 6)} has an estimated relative "
                      f"error {mp.nstr(rel, 3)} at kappa = {worst.kappa}: not a trustworthy result")
    short = [r for r in results if printable_digits(r.alpha_c, r.error_estimate, dps) < dps]
    if short:
        r = max(short, key=lambda r: r.relative_error)
        digits = printable_digits(r.alpha_c, r.error_estimate, dps)
        warnings.warn(f"alpha_c = {mp.nstr(r.alpha_c, digits)} has an estimated error {mp.nstr(r.error_estimate, 2)} "
                      f"(relative {mp.nstr(r.relative_error, 2)}, kappa = {r.kappa}): {digits} of the {dps} requested "
                      "digits are supported and printed", RuntimeWarning, stacklevel=3)


def _check_resolvable(p, alpha_rs):
    """The float64 saddle-point solver drops atoms lighter than 1e-10 of the heaviest
    (`rs_saddle.Measure`): E4 would then be solved for another prior."""
    for _, part in p.groups:
        probs = [mp.mpf(x) for x in part.probs]
        if min(probs) < rs_saddle.LIGHT_ATOM * max(probs):
            raise Refused(f"prior '{p.spec}' has an atom of probability {mp.nstr(min(probs), 3)}, below "
                          f"{rs_saddle.LIGHT_ATOM:g} of the heaviest: the zero-entropy criterion (E4) is solved in "
                          "double precision, which cannot resolve it; alpha_rs (E3, an upper bound on alpha_c) = "
                          f"{mp.nstr(alpha_rs, 15)}")


def _discrete_criteria(p, measures, kappa, dps):
    """Zero-entropy alpha (float64, then mp polish for few atoms) and the AT line (E4)."""
    kappa_mp, kappa = kappa, float(kappa)
    shannon = float(p.shannon_entropy())
    memo = {}

    def point(ms, qh, k, sh):      # both scans visit the same log-qh grid: solve each point once
        if qh not in memo:
            memo[qh] = rs_saddle.rs_point(ms, qh, k, sh)
        return memo[qh]

    zero = rs_saddle.find_qh_root(measures, lambda pt: pt.entropy, kappa, shannon, rs_point=point)
    at = rs_saddle.find_qh_root(measures, lambda pt: pt.at_eigenvalue - 1.0, kappa, shannon, rs_point=point)
    a_at = None if at is None else float(at.alpha)
    if zero is None:
        return None, a_at, mp.mpf(0), "entropy stays positive"
    if not p.grouped and len(p.values) <= MAX_ATOMS:
        # d s / d log qh from the float64 solver: the mp secant's first step
        lo = rs_saddle.rs_point(measures, zero.qh * 0.999, kappa, shannon)
        hi = rs_saddle.rs_point(measures, zero.qh * 1.001, kappa, shannon)
        slope = (hi.entropy - lo.entropy) / math.log(1.001 / 0.999)
        a, _, _, err = entropy_zero_mp(p.values, p.probs, kappa_mp, zero.qh, measures[0].lam, dps, slope)
        return a, a_at, err, ("entropy zero by mp secant on log qh, trapezoid sums (error: rerun at dps+15 "
                              "with a finer step, residual / G_E)")
    warnings.warn("zero-entropy point computed in double precision only (more than "
                  f"{MAX_ATOMS} atoms or several groups)", RuntimeWarning, stacklevel=3)
    return mp.mpf(zero.alpha), a_at, mp.mpf(1e-9), "entropy zero in float64 (error ~1e-9)"


@dataclasses.dataclass(frozen=True)
class CurvePoint:
    alpha: float
    q: float
    qh: float
    free_entropy: float          # relative to the prior (0 at alpha = 0)
    entropy: float | None        # discrete priors: the entropy of E4 (counting measure)
    at_eigenvalue: float | None  # discrete priors and the continuum engine (node-discretised densities would fake it)
    rs_stable: bool | None
    q_error: float               # continuous: two rules (continuum engine) or n vs 2n nodes (atoms present); 0 for atoms
    status: str                  # "ok" or "beyond alpha_rs (q = 1)"
    # the Lagrange function per group on its nodes: p(w|z) ~ P(w) e^{lambda(w) - qh w^2/2 + sqrt(qh) z w}
    lagrange: tuple | None = None
    method: str = "E1-E2 float64 on Gauss-Hermite-pushed nodes"

    def to_dict(self, lagrange: bool = False):
        d = dataclasses.asdict(self)
        d.pop("method")
        if not lagrange:
            d.pop("lagrange")
        return d

    def result(self, prior: str, kappa, lagrange: bool = False) -> Result:
        d = self.to_dict(lagrange)
        alpha, qerr = d.pop("alpha"), d.pop("q_error")
        return Result("curve", {"prior": prior, "kappa": kappa, "alpha": alpha}, d, {"q": qerr},
                      self.method, None, self.status == "ok")


MAX_CURVE_NODES = 256    # finest discretisation tried near alpha_rs (and its check at twice that)
RESOLVE = 3              # nodes until the discretised alpha_rs lies within (alpha_rs - alpha) / RESOLVE of E3's


def curve(prior, kappa=0.0, alphas=(0.5, 1.0), n_nodes: int = 64, progress=None):
    """q(alpha), qh and the free entropy along alpha (E1-E2), float64 (fast path).

    >>> import replica
    >>> p, = replica.curve("gaussian", kappa=0, alphas=[1.0])
    >>> round(p.q, 10), p.status
    (0.5853118518, 'ok')

    Continuous parts are discretised by n Gauss-Hermite-pushed nodes.  The discretised
    prior has its own alpha_rs, below E3's by about 0.8/n relative, and its q is wrong
    where alpha comes close to it; so n doubles from `n_nodes` until the discretised
    alpha_rs is within (alpha_rs - alpha) / RESOLVE of the exact one (E3), at most
    MAX_CURVE_NODES.  The point is solved at n and 2n; q is the 2n value and `q_error`
    the difference.  'beyond alpha_rs (q = 1)' means alpha >= alpha_rs of E3 itself; a
    load closer to it than MAX_CURVE_NODES resolve is reported as not resolved, q = nan.
    `progress(k, n)` is called before point k of n."""
    kappa = to_float(check_kappa(kappa))     # float64 path: the double nearest the decimal
    p = _as_prior(prior)
    alphas = check_alphas(alphas, float)
    if continuum.applies(p):
        lv, point = _Continuum(p, kappa), _continuum_point
    else:
        lv, point = _Levels(p, kappa), _curve_point
    a_exact = lv(n_nodes)[1] if lv.discrete else float(capacity_e3_np(p, [kappa])[0])
    out = []
    for k, a in enumerate(alphas):
        if progress is not None:
            progress(k, len(alphas))
        if a >= a_exact * (1 - 1e-9):     # either engine: q = 1 from E3's alpha_rs on
            out.append(CurvePoint(a, 1.0, math.inf, -math.inf, None, None, None, 0.0,
                                  f"beyond alpha_rs = {a_exact:.10g} (q = 1)"))
        else:
            out.append(point(lv, a, a_exact, n_nodes))
    return out


CONTINUUM_QH_MAX = 1e13   # q -> 1 beyond this is left to E3 (the rule would grow past MAX_NODES first)


class _Continuum:
    """The continuous-measure engine (solvers.continuum, E1-E2 with no atom surrogate) for
    one prior along a curve: two different rules, each point's qh search started from the
    previous point's qh."""

    discrete, shannon = False, None

    def __init__(self, p, kappa):
        self.kappa = kappa
        first = continuum.Groups(p)
        self.rules = (first, first.with_rule(continuum.SECOND))
        self.qh = None
        self.nodes = rs_saddle.measures_of(p, 64)
        self.nodes_alpha_rs = rs_saddle.alpha_rs_limit(self.nodes, kappa)
        self.q0 = sum(float(g) * float(part.moment(1)) ** 2 for g, part in p.normalized().groups)

    def solve(self, a):
        pts, guess = [], self.qh if self.qh is not None else self._node_guess(a)
        for g in self.rules:
            pts.append(rs_saddle.point_at_alpha(g, a, self.kappa, qh_guess=guess, qh_max=CONTINUUM_QH_MAX,
                                                rs_point=continuum.rs_point, alpha_tol=1e-14))
            guess = pts[-1].qh
        self.qh = pts[0].qh
        return pts

    def _node_guess(self, a):
        """A cold start's qh from the 64-node engine (q off by ~1e-5, ms): the secant on the
        continuous engine then starts next to its root instead of bracketing from qh = 1."""
        if a >= 0.99 * self.nodes_alpha_rs:    # the nodes cannot resolve it (and would search long)
            return None
        try:
            return rs_saddle.point_at_alpha(self.nodes, a, self.kappa).qh
        except (ValueError, ArithmeticError):
            return None

    def lagrange(self):
        out = []
        for (g, law), st in zip(self.rules[0].parts, self.rules[0].states):
            w = law.transport(st.s)
            out.append({"fraction": g, "s": st.s.tolist(), "w": w.tolist(),
                        "lambda": (st.a + 0.5 * st.qh * w * w).tolist()})
        return tuple(out)


def _continuum_point(lv, a, a_exact, n_nodes=None):
    """One point of `curve` on the continuous engine: q from the first rule, q_error its
    difference to the second plus both marginal residuals."""
    if a == 0:
        return CurvePoint(0.0, lv.q0, 0.0, 0.0, None, None, None, 0.0, "ok")
    try:
        pt, pt2 = lv.solve(a)
    except ValueError as exc:
        why = getattr(exc, "why", f"qh <= {CONTINUUM_QH_MAX:.0e}")
        return _unsolved(a, f"not resolved: {a_exact - a:.2g} below alpha_rs = {a_exact:.10g}, closer than "
                            f"the continuous engine resolves ({why})")
    except rs_saddle.ConvergenceError as exc:   # one point's failure is its status, not the curve's
        return _unsolved(a, f"not converged: {exc}")
    qerr = abs(pt.q - pt2.q) + pt.marginal_residual + pt2.marginal_residual + pt.q_root_error
    at = float(pt.at_eigenvalue)     # alpha K(q) E_z Var(w|z)^2 / (1-q)^2 (E4's replicon, any prior)
    return CurvePoint(a, float(pt.q), float(pt.qh), float(pt.free_entropy), None, at, bool(at < 1),
                      float(qerr), "ok", lv.lagrange(), CONTINUUM_METHOD)


CONTINUUM_METHOD = ("E1-E2 float64, continuous-measure engine (graded Gauss-Legendre panels in the quantile "
                    "variable; error: a second, different rule)")


class _Levels:
    """The node discretisations of one prior: n -> [measures, discretised alpha_rs, last qh
    (continuation along the curve)], made on first use."""

    def __init__(self, p, kappa):
        self.p, self.kappa, self.levels = p, kappa, {}
        self.discrete = p.is_discrete
        self.shannon = float(p.shannon_entropy()) if self.discrete and not p.empirical else None

    def __call__(self, n):
        if n not in self.levels:
            ms = rs_saddle.measures_of(self.p, n)
            self.levels[n] = [ms, rs_saddle.alpha_rs_limit(ms, self.kappa), None]
        return self.levels[n]

    def solve(self, n, a):
        lv = self(n)
        pt = rs_saddle.point_at_alpha(lv[0], a, self.kappa, self.shannon, qh_guess=lv[2])
        lv[2] = pt.qh
        return pt


Q_ROUNDING = 32 * 2.0 ** -52   # 7e-15, the float64 floor of q: sums over ~10^3 z nodes and the alpha root
# (errors shared by both z rules up to 3.7e-15 = 16 ulps seen against 30-digit curve_mp); 0 was no bound


def _unsolved(a, status):
    return CurvePoint(a, math.nan, math.nan, math.nan, None, None, None, math.nan, status)


def _curve_point(lv, a, a_exact, n_nodes):
    """One point of `curve`: the node level that resolves it, solved at n and 2n."""
    discrete = lv.discrete
    if a == 0:
        q0 = sum(m.frac * float(m.p @ m.w) ** 2 for m in lv(n_nodes)[0])
        return CurvePoint(0.0, q0, 0.0, 0.0, lv.shannon, 0.0 if discrete else None, True if discrete else None,
                          0.0, "ok")
    n = n_nodes
    while not discrete and a_exact - lv(n)[1] > (a_exact - a) / RESOLVE and n < MAX_CURVE_NODES:
        n *= 2
    if not discrete and a_exact - lv(n)[1] > (a_exact - a) / RESOLVE:
        return _unsolved(a, f"not resolved: {a_exact - a:.2g} below alpha_rs = {a_exact:.10g}, closer than "
                            f"{2 * MAX_CURVE_NODES} nodes resolve")
    try:
        pt = lv.solve(n, a)
        if discrete:       # atoms are exact: the error is the z rule's, measured by a second rule
            second = rs_saddle.point_at_alpha(lv(n)[0], a, lv.kappa, lv.shannon, qh_guess=pt.qh,
                                              rs_point=functools.partial(rs_saddle.rs_point,
                                                                         zrule=rs_saddle.SECOND_Z))
            qerr = abs(second.q - pt.q) + pt.q_root_error + second.q_root_error + pt.marginal_residual \
                + second.marginal_residual + Q_ROUNDING
        else:              # report the finer solution; the difference bounds its error
            fine = lv.solve(2 * n, a)
            qerr = abs(fine.q - pt.q) + pt.q_root_error + fine.q_root_error + Q_ROUNDING
            pt, n = fine, 2 * n
    except ValueError:
        return _unsolved(a, f"no saddle point found with {n} nodes")
    lag = tuple({"fraction": m.frac, "w": m.w.tolist(), "p": m.p.tolist(), "lambda": m.lam.tolist()}
                for m in lv(n)[0])
    at = float(pt.at_eigenvalue) if discrete else None
    return CurvePoint(a, float(pt.q), float(pt.qh), float(pt.free_entropy),
                      None if pt.entropy is None else float(pt.entropy), at,
                      None if at is None else bool(at < 1), float(qerr), "ok", lag)


@dataclasses.dataclass(frozen=True)
class CurvePointMP:
    """A saddle point of an atomic prior at `dps` digits; errors from a rerun at dps+10."""

    alpha: object
    q: object
    qh: object
    entropy: object
    q_error: object
    entropy_error: object
    dps: int

    def to_dict(self):
        f = lambda x: mp.nstr(x, self.dps, strip_zeros=False)  # noqa: E731
        return {"alpha": f(self.alpha), "q": f(self.q), "qh": f(self.qh), "entropy": f(self.entropy),
                "q_error": mp.nstr(self.q_error, 3), "entropy_error": mp.nstr(self.entropy_error, 3),
                "dps": self.dps}

    def result(self, prior: str, kappa) -> Result:
        return Result("curve", {"prior": prior, "kappa": kappa, "alpha": self.alpha},
                      {"q": self.q, "qh": self.qh, "entropy": self.entropy},
                      {"q": self.q_error, "entropy": self.entropy_error},
                      "E1, E2, E4 by trapezoid sums (rs_saddle_mp); secant on log qh; error from a rerun at dps+10", self.dps)


def curve_mp(prior, kappa=0, alphas=(0.5,), dps: int = 30):
    """q(alpha) and the entropy (E1, E2, E4) at `dps` digits for priors with at most
    MAX_ATOMS atoms: the float64 point, then a secant on log qh with every integral a
    trapezoid sum (solvers.rs_saddle_mp); the result is recomputed at dps+10 at the same qh for the error estimate."""
    from solvers.rs_saddle_mp import _Atoms, findroot_or_raise, rs_point_mp

    kappa = check_kappa(kappa)
    alphas = check_alphas(alphas, lambda a: a)     # exact until mp reads them below
    check_dps(dps)
    p = _as_prior(prior, dps)
    if not p.is_discrete or p.grouped or len(p.values) > MAX_ATOMS:
        raise PriorError(f"the high-precision curve is for single priors with at most {MAX_ATOMS} atoms; "
                         "use the float64 curve (no --dps) for this prior")
    fast = curve(p, kappa, alphas)
    out = []
    for a, pt in zip(alphas, fast):
        if pt.status != "ok" or pt.alpha == 0:
            raise PriorError(f"alpha={a}: no finite-q saddle point to polish ({pt.status}); use 0 < alpha < alpha_rs")
        lam0 = pt.lagrange[0]["lambda"]
        with mp.workdps(dps + 5):
            atoms = _Atoms(p.values, p.probs, lam0)
            target, k = to_mpf(a), to_mpf(kappa)
            root = findroot_or_raise(lambda lq: rs_point_mp(atoms, mp.exp(lq), k)[0] - target, mp.log(pt.qh),
                                     f"the saddle point at alpha = {a}")
            qh = mp.exp(root)
            alpha, q, s = rs_point_mp(atoms, qh, k)
        with mp.workdps(dps + 15):
            alpha2, q2, s2 = rs_point_mp(_Atoms(p.values, p.probs, atoms.lam), qh, to_mpf(kappa))
        out.append(CurvePointMP(alpha, q, qh, s, abs(q2 - q) + abs(alpha2 - alpha), abs(s2 - s), dps))
    return out

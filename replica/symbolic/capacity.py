"""Symbolic derivation of the Gardner-volume RS equations (THEORY.md E1, E2, E3, E4).

    f = extr [ -E_P lambda + qhat q / 2 + E_z log Z(z) ] + alpha G_E(q)
    Z(z) = int dmu(w) exp( lambda(w) - qhat w^2 / 2 + sqrt(qhat) z w )

The prior decides dmu and lambda:
* spherical / Gaussian prior: lambda = -a w^2 / 2, the w- and z-integrals are done by sympy
  and (a, qhat) eliminated, giving Gardner's G_S;
* atoms w_j with probabilities p_j: dmu = counting measure, lambda_j symbols (so f is the
  entropy of E4); symmetric atoms share their multiplier;
* a density: dmu = dw on the support, lambda(w) an unknown function; the marginal condition
  is its functional derivative.
The saddle-point equations are derivatives of f.  The q equation uses Gaussian integration
by parts, E_z[z F(z)] = E_z[F'(z)], which turns d f / d qhat = 0 into q = E_z <w>_z^2.
"""
from __future__ import annotations

import mpmath as mp
import sympy as sp

from solvers.channels import Margin
from solvers.constraints import Distribution, Spherical
from solvers.entropic_pieces import Measure, atom_multipliers, exact as _exact, group_measures

from ..common.budget import BudgetExceeded, time_budget
from ..priors import PriorError, prior as parse_prior
from .core import (H, Derivation, Equation, a, alpha, gauss, gauss_linear, kappa, lam, phi, q, qh, t, w,
                   z)

EPS = sp.Symbol("epsilon", positive=True)   # 1 - q in the q -> 1 expansion


# ---------------------------------------------------------------- energetic term (E1, E2)
def energetic_term():
    """G_E(q) = E_t log H(u),  u = (kappa - sqrt(q) t) / sqrt(1 - q): the margin channel's own
    sympy piece (solvers.channels.Margin.sympy_G_E)."""
    return Margin().sympy_G_E()


def energy_equation():
    """E2 as printed in THEORY.md: qhat = alpha / (1 - q) E_t g(u)^2, g = phi / H.  It equals
    -2 alpha d G_E / d q (integration by parts in t); tests check the equality."""
    u = (kappa - sp.sqrt(q) * t) / sp.sqrt(1 - q)
    return Equation("energy", qh, alpha / (1 - q) * gauss((phi(u) / H(u)) ** 2, t),
                    "d f / d q = 0: qhat = -2 alpha dG_E/dq, by parts in t (E2)")


def gardner_I():
    """I(kappa) = int_{-oo}^{kappa} Dt (kappa - t)^2, in closed form by sympy (E3)."""
    return sp.simplify(sp.integrate((kappa - t) ** 2 * phi(t), (t, -sp.oo, kappa)))


def energetic_q_to_1():
    """Leading order of G_E as q -> 1: log H(u) ~ -u^2/2 for t < kappa, 0 above (E3)."""
    return -gardner_I() / (2 * EPS)


# ---------------------------------------------------------------- entropic terms
def spherical_entropic():
    """Gardner's G_S by doing E1's integrals and eliminating (a, qhat)."""
    A = sp.Symbol("A", positive=True)  # A = a + qhat
    zint = sp.simplify(sp.integrate(sp.exp(-A * w ** 2 / 2 + sp.sqrt(qh) * z * w), (w, -sp.oo, sp.oo)))
    log_z = sp.expand_log(sp.log(zint), force=True)
    ez_log_z = sp.integrate(sp.expand(log_z * phi(z)), (z, -sp.oo, sp.oo))
    g = (A - qh) / 2 + qh * q / 2 + ez_log_z          # -E_P lambda = a E w^2 / 2 = a / 2
    sol = sp.solve([sp.diff(g, A), sp.diff(g, qh)], [A, qh], dict=True)[0]
    val = g.subs(sol)
    # simplify with 1 - q = epsilon > 0, so sympy takes real logarithms
    diff = (val - val.subs(q, 0)).subs(q, 1 - EPS)
    gs = sp.expand(sp.simplify(sp.expand_log(sp.simplify(diff), force=True))).subs(EPS, 1 - q)
    # the constraint's piece is what derive prints, in powers of 1 - q as the elimination gives it
    piece = Spherical().sympy_G_S()
    piece = sp.expand(sp.expand(piece.subs(q, 1 - EPS)).subs(EPS, 1 - q))
    if sp.simplify(gs - piece) != 0:
        raise ArithmeticError(f"E1's spherical elimination ({gs}) disagrees with the constraint's G_S ({piece})")
    eqs = [Equation("qhat", qh, sp.factor(sol[qh]), "d/da = d/dqhat = 0 (E1, spherical)"),
           Equation("a", a, sp.simplify(sol[A] - sol[qh]), "norm multiplier at the saddle point")]
    return piece, eqs, g.subs(A, a + qh)


def _atoms(p):
    """Exact (values, probs) rescaled to unit second moment."""
    vals = [_exact(v) for v in p.values]
    probs = [_exact(x) for x in p.probs]
    norm = sp.sqrt(sp.nsimplify(sum(pj * vj ** 2 for pj, vj in zip(probs, vals))))
    return [sp.radsimp(v / norm) for v in vals], probs


def atoms_entropic(p):
    """E1 with the counting measure on the atoms: f is the entropy of E4.  G_S is the
    Distribution constraint's piece (solvers.entropic_pieces), its Gaussian integrals split."""
    vals, probs = _atoms(p)
    n = len(vals)
    mult = atom_multipliers(vals, probs)   # the piece's multipliers: symmetric atoms share one
    expo = [mult[j] - qh * vals[j] ** 2 / 2 + sp.sqrt(qh) * z * vals[j] for j in range(n)]
    zsum = sp.Add(*[sp.exp(e) for e in expo])
    symmetric_pair = n == 2 and mult[0] == mult[1] and vals[0] == -vals[1]
    if symmetric_pair:  # e^{x} + e^{-x} = 2 cosh x (Gardner-Derrida's log 2cosh)
        v = vals[1]
        zsum = sp.exp(-qh * v ** 2 / 2) * 2 * sp.cosh(sp.sqrt(qh) * z * v)
    g = sp.expand(gauss_linear(sp.expand(gauss_linear(Distribution(p).sympy_G_S()))))
    raw_qh = sp.diff(g, qh)  # d f / d qhat before integration by parts (tests compare)
    post = [sp.exp(e) / zsum for e in expo]
    mean = sp.Add(*[vj * pj for vj, pj in zip(vals, post)])
    if symmetric_pair:
        mean = vals[1] * sp.tanh(sp.sqrt(qh) * z * vals[1])
    eqs = []
    for m in sorted({m for m in mult if isinstance(m, sp.Symbol)}, key=lambda s: s.name):
        js = [j for j in range(n) if mult[j] == m]
        eqs.append(Equation(f"marginal_{m.name}", sp.Add(*[probs[j] for j in js]),
                            gauss(sp.Add(*[post[j] for j in js]), z), "d f / d lambda = 0 (E2 marginal)"))
    eqs.append(Equation("q", q, gauss(mean ** 2, z), "d f / d qhat = 0 with E_z[z F] = E_z[F'] (E2)"))
    free = [m for m in set(mult) if isinstance(m, sp.Symbol) and g.has(m)]
    free.sort(key=lambda s: s.name)
    return g, eqs, {"values": vals, "probs": probs, "multipliers": free, "raw_qh": raw_qh, "mean": mean}


SYMBOLIC_BUDGET = 8.0   # seconds sympy may spend on one integral of a user's density


def _bounded(fn, fallback):
    """fn() within SYMBOLIC_BUDGET seconds, else fallback(): a user's formula must not make
    `derive` run unboundedly inside sympy."""
    try:
        with time_budget(SYMBOLIC_BUDGET):
            return fn()
    except BudgetExceeded:
        return fallback()


def normalised_density(expr, lo, hi):
    """c f(c w) / Z: the user's density normalised and rescaled to E w^2 = 1 (section 1);
    integrals sympy cannot do, or not within SYMBOLIC_BUDGET, stay as Integral objects."""
    lo = -sp.oo if lo == -mp.inf else _exact(lo)
    hi = sp.oo if hi == mp.inf else _exact(hi)
    zn = _bounded(lambda: sp.simplify(sp.integrate(expr, (w, lo, hi))), lambda: sp.Integral(expr, (w, lo, hi)))
    m2 = _bounded(lambda: sp.simplify(sp.integrate(w ** 2 * expr, (w, lo, hi)) / zn),
                  lambda: sp.Integral(w ** 2 * expr, (w, lo, hi)) / zn)
    c = sp.sqrt(m2)
    out = c * expr.subs(w, c * w) / zn
    return _bounded(lambda: sp.simplify(out), lambda: out)


def density_entropic(p, spec_expr=None):
    """E1 with dmu = dw on the support (plus the counting measure on any atoms: `rectified`
    keeps its atom at 0) and an unknown Lagrange function lambda(w): the Distribution
    constraint's piece; `spec_expr` replaces the law's density (a user's formula)."""
    m = group_measures(p)[0][1]
    if spec_expr is not None:
        m = Measure(m.atoms, [(spec_expr, lo, hi) for _, lo, hi in m.parts], w)
    g = Distribution(p).sympy_G_S(density=spec_expr)
    expo = lam(w) - qh * w ** 2 / 2 + sp.sqrt(qh) * z * w
    zint = m.base_integral(sp.exp(expo))
    mean = m.base_integral(w * sp.exp(expo)) / zint
    eqs = [Equation("marginal", dens, gauss(sp.exp(expo) / zint, z),
                    "functional derivative d f / d lambda(w) = 0 (E2 marginal, entropic transport)")
           for dens, _, _ in m.parts]
    eqs += [Equation(f"marginal_w={v}", pv, gauss(sp.exp(expo.subs(w, v)) / zint, z),
                     "d f / d lambda(w_atom) = 0 (E2 marginal at an atom)") for v, pv in m.atoms]
    eqs.append(Equation("q", q, gauss(mean ** 2, z), "d f / d qhat = 0 with E_z[z F] = E_z[F'] (E2)"))
    return g, eqs, {"density": m.parts[0][0], "support": m.parts[0][1:]}


def groups_entropic(p):
    """E1 for synapse groups (THEORY.md section 1, E/I): the Distribution constraint's piece,
    one Lagrange function lambda_g per group; the marginal condition holds per group and
    q = sum_g f_g E_z <w>_g^2."""
    g = Distribution(p).sympy_G_S()
    eqs, means = [], []
    for k, (f, m) in enumerate(group_measures(p)):
        lam_k = sp.Function(f"lambda_{k + 1}")
        expo = lam_k(w) - qh * w ** 2 / 2 + sp.sqrt(qh) * z * w
        zint = m.base_integral(sp.exp(expo))
        eqs += [Equation(f"marginal_{k + 1}", dens, gauss(sp.exp(expo) / zint, z),
                         f"d f / d lambda_{k + 1}(w) = 0 (E2 marginal of group {k + 1})") for dens, _, _ in m.parts]
        means.append(f * gauss((m.base_integral(w * sp.exp(expo)) / zint) ** 2, z))
    eqs.append(Equation("q", q, sp.Add(*means), "d f / d qhat = 0 with E_z[z F] = E_z[F'] (E2)"))
    return g, eqs


def _exp_moments(t_map):
    """(E_z z T, E_z T^2) of T = A e^{B z} (A, B free of z) by sympy's Gaussian integral of
    e^{s z} in a positive symbol s (fast; integrating with the numbers in place is not), or
    None for another form."""
    coeff, rest = t_map.as_independent(z, as_Add=False)
    if not isinstance(rest, sp.exp):
        return None
    B = sp.simplify(rest.args[0].diff(z))
    if B.has(z) or sp.simplify(rest.args[0] - B * z).has(z):
        return None
    A = coeff * sp.exp(sp.simplify(rest.args[0] - B * z))
    s_ = sp.Symbol("s", positive=True)
    m0 = sp.simplify(sp.integrate(sp.exp(s_ * z) * phi(z), (z, -sp.oo, sp.oo)))     # e^{s^2/2}
    ez = (A * sp.diff(m0, s_)).subs(s_, sp.Abs(B)) * sp.sign(B)
    return ez, (A ** 2 * m0).subs(s_, 2 * sp.Abs(B))


def _numeric_display(x):
    """An expression whose rationals carry 25-digit decimals (E/I balance is a numeric
    condition) shown as a 20-digit float instead."""
    big = any(isinstance(r, sp.Rational) and r.q > 10 ** 6 for r in x.atoms(sp.Rational))
    return sp.N(x, 20) if big else x


def groups_q_to_1(p):
    """E3 for synapse groups: each group is transported on its own, T_g = F_g^{-1} o Phi, with
    one common scale (which cancels), so G_S ~ rho^2 / (2 (1-q)) with
        rho^2 = [sum_g f_g E_z z T_g]^2 / sum_g f_g E_z T_g^2
    (= alpha_c / alpha_Gardner of THEORY.md's group formula at E T^2 = 1)."""
    num, den, maps = 0, 0, []
    for k, (f, law) in enumerate(p.groups):
        t_map = law.parts[0].sympy_transport(z) if not law.values and len(law.parts) == 1 else None
        moments = _exp_moments(t_map) if t_map is not None else None
        if moments is None:
            t_map = sp.Function(f"T_{k + 1}")(z)
            moments = gauss(z * t_map, z), gauss(t_map ** 2, z)
        maps.append(t_map)
        num, den = num + _exact(f) * moments[0], den + _exact(f) * moments[1]
    rho2 = _bounded(lambda: sp.simplify(num ** 2 / den), lambda: num ** 2 / den)
    return maps, _numeric_display(rho2)


def laplace_q_to_1(gs):
    """q -> 1 of an atoms G_S with log 2cosh (symmetric binary), by Laplace's method:
    log 2cosh(y) = |y| + O(e^{-2|y|}), then extremise over qhat at q = 1 - epsilon.
    Returns the coefficient rho^2 of G_S ~ rho^2 / (2 epsilon) (E1 -> E3)."""
    y = sp.Wild("y")
    lead = gs.replace(sp.log(sp.cosh(y)), sp.Abs(y) - sp.log(2))
    lead = lead.replace(lambda e: isinstance(e, sp.Integral),
                        lambda e: sp.integrate(sp.refine(e.function, sp.Q.positive(qh)), e.limits[0]))
    lead = sp.simplify(lead.subs(q, 1 - EPS))
    sol = sp.solve(sp.diff(lead, qh), qh)
    if len(sol) != 1:
        return None
    return sp.simplify(2 * EPS * lead.subs(qh, sol[0]))


def transport_map(p, spec):
    """T = F^{-1} o Phi in closed form for the families that have one, else T(z)."""
    name = spec.split(":")[0]
    if name == "gaussian" and p.parts[0].mean == 0:
        return z
    if name == "lognormal":
        return sp.exp(_exact(p.parts[0].sigma) * z)
    if name == "binary" and p.probs[0] == p.probs[1]:
        return sp.sign(z)
    return sp.Function("T")(z)


def q_to_1(gs_leading, t_map):
    """E3: with G_S ~ rho^2 / (2 (1-q)), rho = E zT / sqrt(E T^2), and G_E ~ -I / (2 (1-q)),
    f ~ [rho^2 - alpha I] / (2 (1-q)) vanishes at alpha_c = rho^2 / I(kappa)."""
    if gs_leading is None:
        if t_map.has(sp.Function("T")):   # unevaluated E_z: simplify would pull 1/sqrt(2 pi) out of D z
            ez, et2 = gauss(z * t_map, z), gauss(t_map ** 2, z)
            return ez ** 2 / et2, ez ** 2 / (et2 * gardner_I())
        elif t_map == sp.sign(z):  # binary: E z sign(z) = E|z|
            ez, et2 = 2 * sp.integrate(z * phi(z), (z, 0, sp.oo)), sp.Integer(1)
        else:  # integrate with a positive symbol for the prior's scale, then substitute
            s_ = sp.Symbol("s", positive=True)
            tm = t_map.replace(lambda e: isinstance(e, sp.exp), lambda e: sp.exp(s_ * z)) if t_map.has(sp.exp) else t_map
            sval = sp.simplify(sp.log(t_map).diff(z)) if t_map.has(sp.exp) else None
            ez = sp.simplify(sp.integrate(z * tm * phi(z), (z, -sp.oo, sp.oo)))
            et2 = sp.simplify(sp.integrate(tm ** 2 * phi(z), (z, -sp.oo, sp.oo)))
            if sval is not None:
                ez, et2 = ez.subs(s_, sval), et2.subs(s_, sval)
        rho2 = _bounded(lambda: sp.simplify(ez ** 2 / et2), lambda: ez ** 2 / et2)
    else:
        rho2 = gs_leading
    alpha_c = _bounded(lambda: sp.simplify(rho2 / gardner_I()), lambda: rho2 / gardner_I())
    return rho2, alpha_c


def derive_capacity(spec: str) -> Derivation:
    """The RS free entropy and saddle-point equations of the capacity problem for `spec`."""
    p = parse_prior(spec)
    if p.grouped:
        return derive_groups(spec, p)
    name = spec.split(":")[0]
    ge = energetic_term()
    terms, eqs, notes = {}, [], []
    gs_leading = None
    if name == "gaussian" and p.parts[0].mean == 0:
        gs, sph_eqs, raw = spherical_entropic()
        terms["G_S"] = gs
        eqs += sph_eqs
        gs_leading = sp.limit(gs.subs(q, 1 - EPS) * 2 * EPS, EPS, 0)  # G_S ~ 1 / (2 (1-q))
        notes.append("Spherical constraint lambda = -a w^2/2 with E w^2 = 1; a Gaussian distribution "
                     "constraint gives the same G_S.")
    elif p.is_discrete:
        g, at_eqs, info = atoms_entropic(p)
        terms["G_S"] = g
        eqs += at_eqs
        notes.append("Counting measure on the atoms: f at the saddle point is the entropy of E4 "
                     f"(atoms {', '.join(map(str, info['values']))} with probabilities "
                     f"{', '.join(map(str, info['probs']))}, rescaled to E w^2 = 1).")
        if info["multipliers"]:
            notes.append("Extremise over " + ", ".join(m.name for m in info["multipliers"]) + " and qhat.")
        if g.has(sp.cosh):
            lead = laplace_q_to_1(g)
            if lead is not None:
                terms["G_S (q -> 1)"] = lead / (2 * EPS)
                gs_leading = lead
                notes.append("q -> 1 by Laplace's method on E1: log 2cosh(y) ~ |y|, qhat eliminated.")
    else:
        expr = None                # the law's own density, inside the constraint's piece
        if name == "density":
            from ..priors.formula import parse_formula
            from ..priors.grammar import parse_params
            text = parse_params(spec.split(":", 1)[1], ("expr", "support"), raw=("expr",))["expr"]
            expr = normalised_density(parse_formula(text, variables=("w",)), *p.support)
        g, d_eqs, _ = density_entropic(p, expr)
        terms["G_S"] = g
        eqs += d_eqs
        notes.append("Distribution constraint: lambda(w) is the Lagrange function; P is the prior "
                     "rescaled to E w^2 = 1.")
    terms["G_E"] = ge
    terms["f"] = sp.Symbol("G_S") + alpha * sp.Symbol("G_E")
    eqs.append(energy_equation())
    terms["I"] = gardner_I()
    terms["G_E (q -> 1)"] = energetic_q_to_1()
    rho2, alpha_c = q_to_1(gs_leading, transport_map(p, spec) if gs_leading is None else None)
    if gs_leading is not None and p.is_discrete:  # cross-check with E3's transport form
        rho_t, _ = q_to_1(None, transport_map(p, spec))
        if sp.simplify(rho_t - rho2) != 0:
            raise ArithmeticError(f"q -> 1 limit of E1 ({rho2}) disagrees with E3 ({rho_t})")
    terms["rho^2"] = rho2
    eqs.append(Equation("alpha_c", sp.Symbol("alpha_c"), alpha_c,
                        "q -> 1: G_S ~ rho^2/(2(1-q)), G_E ~ -I/(2(1-q)) (E3)"))
    return Derivation(f"RS capacity, prior {spec}", spec, terms, eqs, notes)


def derive_groups(spec, p):
    """derive_capacity for synapse groups (E/I): G_S of the groups, E2 per group, E3's rho."""
    g, eqs = groups_entropic(p)
    maps, rho2 = groups_q_to_1(p)
    terms = {"G_S": g, "G_E": energetic_term(), "f": sp.Symbol("G_S") + alpha * sp.Symbol("G_E")}
    terms.update({f"T_{k + 1}(z)": t for k, t in enumerate(maps)})
    terms.update({"I": gardner_I(), "G_E (q -> 1)": energetic_q_to_1(), "rho^2": rho2})
    eqs += [energy_equation(), Equation("alpha_c", sp.Symbol("alpha_c"), rho2 / gardner_I(),
                                        "q -> 1: G_S ~ rho^2/(2(1-q)), G_E ~ -I/(2(1-q)) (E3, groups)")]
    fr = ", ".join(f"f_{k + 1} = {mp.nstr(f, 10)}" for k, (f, _) in enumerate(p.groups))
    notes = [f"Synapse groups ({fr}): one Lagrange function lambda_g(w) per group; P_g is group g's "
             "law, all groups rescaled by one factor so that sum_g f_g E_g w^2 = 1; T_g the group's "
             "transport map before that common rescaling, which cancels in rho."]
    return Derivation(f"RS capacity, prior {spec}", spec, terms, eqs, notes)

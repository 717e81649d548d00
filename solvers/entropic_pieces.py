"""Sympy pieces of the entropic term G_S (THEORY.md E1 for capacity, E5 for teacher-student).

Each `Constraint.sympy_G_S(teacher)` in solvers.constraints calls one function here; the
expression is the free entropy's weight side that the constraint's float64 `entropic`
(or `nishimori_entropic`) evaluates, in the symbols of solvers.symbols:

    b = sqrt(qhat) z + Rhat w0          (teacher None: the capacity problem, w0 = 0, no R)
    E_z: Integral over z ~ N(0,1);  E_{w0}: a sum over the teacher's atoms plus Integrals of
    its density over the support (an undefined P_T(w0) where the law has no closed form).

Laws arrive as duck-typed prior objects (values, probs, masses, parts, sympy_density,
support, moment); this module never imports `replica`.  A law becomes a `Measure`: exact
atoms and densities rescaled to E w^2 = 1 (section 1).

Measures.  `distribution` is E1/E5 in the base measure mu = counting measure on the atoms
plus dw on the densities (as THEORY.md writes Z); `entropic` of a continuous law is relative
to P, so the two differ by the constant H_mu(P) = -E_P log(dP/dmu) (the Shannon entropy for
atoms, which `entropic` adds back as its counting term).  `soft` and `bayes` integrate
against P itself, exactly as `entropic` / `nishimori_entropic` do.
"""
from __future__ import annotations

import dataclasses

import mpmath as mp
import sympy as sp

from .symbols import H, Q, Qh, R, Rh, a, gauss, lam, phi, q, qh, w, w0, z


def exact(x):
    """An mp number as an exact sympy number: a user's decimal becomes its rational (0.3 ->
    3/10); a number with no short rational (a derived scale such as E/I balance's
    mu = -1 - log 2) a Float to the working precision's digits (at most 25), not a rational
    of 25-digit integers whose last digits are the binary rounding of a double."""
    r = sp.nsimplify(mp.nstr(mp.mpf(x), 25), rational=True)
    digits = min(25, mp.mp.dps)
    return r if r.q <= 10 ** 12 else sp.Float(mp.nstr(mp.mpf(x), digits), digits)


def _end(x):
    return sp.oo if x == mp.inf else -sp.oo if x == -mp.inf else exact(x)


@dataclasses.dataclass
class Measure:
    """atoms ((value, prob), ...) and parts ((density, lo, hi), ...), exact sympy, the law
    rescaled to E w^2 = 1, densities in `var` and carrying their mass."""

    atoms: list
    parts: list
    var: sp.Symbol

    def expect(self, f):
        """E_P f(var): sums over the atoms, Integrals of the densities (a standard normal
        part as the Gaussian expectation E_var, which the renderers print as such)."""
        def part(d, lo, hi):
            if (lo, hi) == (-sp.oo, sp.oo) and sp.simplify(d - phi(self.var)) == 0:
                return gauss(f, self.var)
            return sp.Integral(d * f, (self.var, lo, hi))
        atoms = [p * f.subs(self.var, v) for v, p in self.atoms]
        atoms = [t.replace(lambda e: isinstance(e, sp.Integral) and e.function == 0, lambda e: sp.Integer(0))
                 for t in atoms]   # a teacher atom at w0 = 0 in an R equation
        return sp.Add(*atoms) + sp.Add(*[part(*p) for p in self.parts])

    def base_integral(self, f, at_atoms=None):
        """int dmu f: the counting measure on the atoms plus dw on the densities' supports;
        `at_atoms` gives f's value at each atom (the atoms' own multipliers)."""
        vals = at_atoms if at_atoms is not None else [f.subs(self.var, v) for v, _ in self.atoms]
        return sp.Add(*vals) + sp.Add(*[sp.Integral(f, (self.var, lo, hi)) for _, lo, hi in self.parts])


def law_measure(law, var, name="P", m2=None):
    """The Measure of a duck-typed prior in `var`.  A single density with a closed form is
    the law's own `sympy_density` (unbounded supports); otherwise each part's `sympy_pdf`
    rescaled here, an undefined `name(var)` where a part has none.  `m2`: the second moment
    to rescale by (E/I groups share one factor), default the law's own."""
    if law is None:
        return None
    single = not law.values and len(law.parts) == 1 and m2 is None
    if single:
        lo, hi = law.support
        dens = law.sympy_density(var) if hasattr(law, "sympy_density") else None
        if dens is not None or lo in (0, -mp.inf) and hi == mp.inf:
            # the law's own piece (derive printed exactly this before the pieces existed)
            return Measure([], [(dens if dens is not None else sp.Function(name)(var), _end(lo), _end(hi))], var)
    vals, probs = [exact(v) for v in law.values], [exact(p) for p in law.probs]
    x = sp.Symbol("x", real=True)
    pieces = _pdfs(law, x)
    c = sp.sqrt(sp.nsimplify(exact_second_moment(law, pieces) if m2 is None else m2))
    atoms = [(sp.radsimp(v / c), p) for v, p in zip(vals, probs)]
    parts = []
    for mass, part, pc in zip(law.masses, law.parts, pieces):
        dens = sp.simplify(exact(mass) * c * pc[0].subs(x, c * var)) if pc is not None \
            else exact(mass) * sp.Function(name)(var)
        parts.append((dens, _end(part.lo) / c, _end(part.hi) / c))
    return Measure(atoms, parts, var)


def _pdfs(law, x):
    return [part.sympy_pdf(x) if hasattr(part, "sympy_pdf") else None for part in law.parts]


def exact_second_moment(law, pieces=None):
    """E w^2 of a prior, exact where its parts give one (sympy_pdf), else from its mp moment."""
    pieces = _pdfs(law, sp.Symbol("x", real=True)) if pieces is None else pieces
    return sp.Add(*[exact(p) * exact(v) ** 2 for v, p in zip(law.values, law.probs)]) + sp.Add(*[
        exact(c) * (pc[1] if pc is not None else exact(part.moment(2)))
        for c, part, pc in zip(law.masses, law.parts, pieces)])


def teacher_average(f, teacher: Measure | None):
    """E_{w0 ~ P_T} f; the capacity problem (teacher None) has w0 = 0."""
    return f.subs(w0, 0) if teacher is None else teacher.expect(f)


def _field(teacher):
    return sp.sqrt(qh) * z + (Rh * w0 if teacher is not None else 0)


def _overlap_terms(teacher):
    """qhat q/2 - Rhat R of E5 (E1: qhat q/2)."""
    return qh * q / 2 - (Rh * R if teacher is not None else 0)


def atom_multipliers(vals, probs, prefix="lambda"):
    """Symbols lambda_j = lambda(v_j) of the capacity problem's atoms: symmetric atoms +-v of
    equal probability share one (the solution of an even law is even, E2), and one multiplier
    shared by all atoms cancels against -E_P lambda (lambda -> lambda + c leaves E1 unchanged)."""
    n = len(vals)
    mult = [sp.Symbol(f"{prefix}_{j + 1}", real=True) for j in range(n)]
    for j in range(n):
        for k in range(j):
            if vals[j] == -vals[k] and probs[j] == probs[k]:
                mult[j] = mult[k]
    if len(set(mult)) == 1:
        mult = [sp.Integer(0)] * n
    return mult


def _distribution_rest(m: Measure, teacher, fn=lam, prefix="lambda"):
    """-E_P lambda + E_{w0} E_z log int dmu exp(lambda - qhat w^2/2 + b w) for one law."""
    b = _field(teacher)
    expo = fn(w) - qh * w ** 2 / 2 + b * w
    if teacher is None and not m.parts:   # capacity on atoms: multiplier symbols (E4's form)
        vals, probs = [v for v, _ in m.atoms], [p for _, p in m.atoms]
        mult = atom_multipliers(vals, probs, prefix)
        e_lam = sp.Add(*[p * mj for p, mj in zip(probs, mult)])
        if len(vals) == 2 and mult[0] == mult[1] and vals[0] == -vals[1]:   # Gardner-Derrida's log 2cosh
            v = vals[1]
            log_z = -qh * v ** 2 / 2 + sp.log(2 * sp.cosh(sp.sqrt(qh) * z * v))
        else:
            expos = [mj - qh * v ** 2 / 2 + sp.sqrt(qh) * z * v for v, mj in zip(vals, mult)]
            log_z = sp.expand_log(sp.log(sp.Add(*[sp.exp(e) for e in expos])), force=True)
        return -e_lam + gauss(log_z, z)
    e_lam = m.expect(fn(w))
    zsum = m.base_integral(sp.exp(expo))
    return -e_lam + teacher_average(gauss(sp.log(zsum), z), teacher)


def distribution_G_S(groups, teacher: Measure | None = None):
    """E1/E5 for weights constrained to a law: groups ((fraction, Measure), ...), one
    Lagrange function lambda(w) per group (an undefined sympy Function), E/I groups as
    fractions times their pieces with the overlap terms shared:
        qhat q/2 - Rhat R + sum_g f_g [ -E_{P_g} lambda_g + E_{w0} E_z log Z_g ]."""
    if len(groups) == 1:
        return _distribution_rest(groups[0][1], teacher) + _overlap_terms(teacher)
    rest = [f * _distribution_rest(m, teacher, sp.Function(f"lambda_{k + 1}"), f"lambda_{k + 1}")
            for k, (f, m) in enumerate(groups)]
    return _overlap_terms(teacher) + sp.Add(*rest)


def sign_G_S(teacher=None):
    """Sign constraint w >= 0 with E w^2 = 1 (E5, lambda = -a w^2/2 on the half-line), the
    w-integral done: Z = sqrt(2 pi / A) e^{b^2/(2A)} H(-b/sqrt(A)), A = a + qhat; relative to
    the alpha = 0 state (A = 1, the half-normal), as `Sign.entropic`."""
    A, b = a + qh, _field(teacher)
    log_z = sp.log(sp.sqrt(2 * sp.pi / A)) + b ** 2 / (2 * A) + sp.log(H(-b / sp.sqrt(A)))
    f0 = sp.Rational(1, 2) + sp.log(2 * sp.pi) / 2 - sp.log(2)
    return a / 2 + _overlap_terms(teacher) + teacher_average(gauss(log_z, z), teacher) - f0


def soft_G_S(prior: Measure, teacher=None):
    """Soft prior P_S (THEORY.md E1 soft form, E5): the norm Q and its conjugate Qhat,
        Qhat Q/2 + qhat q/2 - Rhat R + E_{w0} E_z log E_{w ~ P_S} e^{-(Qhat + qhat) w^2/2 + b w}."""
    inner = prior.expect(sp.exp(-(Qh + qh) * w ** 2 / 2 + _field(teacher) * w))
    return Qh * Q / 2 + _overlap_terms(teacher) + teacher_average(gauss(sp.log(inner), z), teacher)


def bayes_G_S(prior: Measure, teacher: Measure):
    """G_S on the Nishimori line qhat = Rhat, q = R (the teacher's own prior P as the student's):
        -qhat q/2 + E_{w0 ~ P} E_z log E_{w ~ P} e^{-qhat w^2/2 + (sqrt(qhat) z + qhat w0) w},
    relative to the prior, as `nishimori_entropic`."""
    inner = prior.expect(sp.exp(-qh * w ** 2 / 2 + (sp.sqrt(qh) * z + qh * w0) * w))
    return -qh * q / 2 + teacher.expect(gauss(sp.log(inner), z))


def group_measures(law, var=w, name="P"):
    """((fraction, Measure), ...) of a law or an E/I group prior (one rescaling factor for
    all groups, as GroupPrior.normalized)."""
    if not getattr(law, "grouped", False):
        return ((sp.Integer(1), law_measure(law, var, name)),)
    m2 = sp.Add(*[exact(f) * exact_second_moment(g) for f, g in law.groups])
    return tuple((exact(f), law_measure(g, var, f"{name}_{k + 1}", m2=m2)) for k, (f, g) in enumerate(law.groups))


# ---------------------------------------------------------------- from the constraints' priors
def teacher_measure(teacher_law):
    """The teacher's Measure in w0 (None: the capacity problem)."""
    if getattr(teacher_law, "grouped", False):
        raise ValueError("a teacher made of synapse groups has no sympy piece of E5 yet")
    return law_measure(teacher_law, w0, "P_T")


def distribution_piece(law, teacher_law=None, density=None):
    """`Distribution.sympy_G_S`: the constraint's law (E/I groups included); `density`
    replaces a single law's density (a user's formula, normalised by the caller)."""
    groups = group_measures(law, w, "P" if teacher_law is None else "P_S")
    if density is not None:
        (f, m), = groups
        groups = ((f, Measure(m.atoms, [(density, lo, hi) for _, lo, hi in m.parts], w)),)
    return distribution_G_S(groups, teacher_measure(teacher_law))


def sign_piece(teacher_law=None):
    return sign_G_S(teacher_measure(teacher_law))


def soft_piece(law, teacher_law=None):
    return soft_G_S(law_measure(law, w, "P_S"), teacher_measure(teacher_law))


def shannon_entropy(law):
    """-sum_j p_j log p_j of a discrete law's atoms, exact."""
    return -sp.Add(*[p * sp.log(p) for p in (exact(x) for x in law.probs)])


def bayes_piece(law):
    return bayes_G_S(law_measure(law, w, "P"), law_measure(law, w0, "P"))

"""Benchmarks for issue 3: times and speed-ups over naive scipy.quad loops.

    python benchmarks/run.py            # all three sections
    python benchmarks/run.py --quick    # fewer families / points

1. alpha_c at 30 digits for each built-in family (E3, with its error estimate), the old
   engine's time (commit dc77211, before the lattice trapezoid) beside the new one, and a
   naive float64 scipy.quad of E z T(z) with scipy's ppf (15 digits at best).
2. a 200-point kappa sweep in double precision: prior factors once + vectorised I(kappa),
   against scipy.quad for E zT, E T^2 and I(kappa) at every kappa.
3. a 50-point q(alpha) curve (binary and rectified priors), against a naive damped fixed
   point of E2 with scipy.quad integrals (binary only: lambda = 0 by symmetry there).
4. Bayes-optimal student per alpha point, old atom surrogate against solvers.posterior,
   and tramp's state evolution where TRAMP_VENV holds it (benchmarks/peer/README.md).
5. zero-entropy capacity of discrete priors at 30 digits (E4), against the former method
   (secant from log qh + 1/4, every integral by mp.quad): live for binary (lambda = 0 by
   symmetry makes it a few lines), recorded for ternary.
6. continuous priors at finite alpha (E1-E2), one curve point: the node engine (64 nodes
   pushed by Gauss-Hermite quantiles, its 2n check) against the continuous-measure engine
   (solvers/continuum.py, two different rules), time, claimed q error and, for the
   Gaussian law, the actual error against Gardner's q at 30 digits; spherical max margin
   (E8) by the former spline of a 300-point curve against the exact A(R).
7. soft-prior students (Gibbs, E1 soft form + E5): the former 64-atom surrogate against the
   continuous measure (solvers.posterior.soft_moments), time per point, claimed eps error
   and the actual error against an exact reference (soft Gaussian = spherical student; a
   matched soft lognormal = the Bayes student's q).
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import mpmath as mp
import numpy as np
from scipy import integrate, special, stats

import replica
from replica.results import printable_digits
from solvers.capacity import capacity_e3, capacity_e3_np

FAMILIES = ["gaussian", "binary", "ternary", "rectified", "halfnormal", "lognormal:sigma=1", "uniform",
            "laplace", "exponential", "weibull", "gamma:k=2", "discrete:values=-1|0|2,probs=0.25|0.5|0.25",
            "ei:fE=0.8,sigmaE=1,sigmaI=1", "ei:fE=0.8,sigmaE=1.25,sigmaI=0.8",
            "mixture:0.3*gaussian+0.7*lognormal(sigma=0.5)", "density:expr=exp(-w^4)"]
# E3 at 30 digits before the lattice trapezoid (commit dc77211, same 2-core machine, one run)
OLD_E3 = {"gaussian": 0.161, "lognormal:sigma=1": 0.395, "uniform": 0.483, "laplace": 0.535, "weibull": 0.902,
          "exponential": 0.604, "halfnormal": 1.414, "gamma:k=2": 1.045, "rectified": 1.049,
          "ei:fE=0.8,sigmaE=1.25,sigmaI=0.8": 0.796, "mixture:0.3*gaussian+0.7*lognormal(sigma=0.5)": 7.555,
          "density:expr=exp(-w^4)": 27.35}
NAIVE_PPF = {"gaussian": stats.norm.ppf, "lognormal:sigma=1": stats.lognorm(1).ppf,
             "uniform": stats.uniform(-1, 2).ppf, "laplace": stats.laplace.ppf,
             "exponential": stats.expon.ppf, "gamma:k=2": stats.gamma(2).ppf,
             "halfnormal": stats.halfnorm.ppf}


def timed(fn, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def naive_alpha(ppf, kappa):
    # |z| <= 8: beyond, ndtr(z) rounds to 1 and the float64 ppf returns inf
    ez = integrate.quad(lambda z: z * ppf(special.ndtr(z)) * stats.norm.pdf(z), -8, 8, limit=200)[0]
    et2 = integrate.quad(lambda z: ppf(special.ndtr(z)) ** 2 * stats.norm.pdf(z), -8, 8, limit=200)[0]
    ik = integrate.quad(lambda t: (t + kappa) ** 2 * stats.norm.pdf(t), -kappa, np.inf)[0]
    return ez ** 2 / (et2 * ik)


def section_e3(families):
    print("\n1. alpha_c(kappa=0) at 30 digits (E3), one fresh computation per family")
    print(f"{'prior':48s} {'old [s]':>8} {'time [s]':>9} {'alpha_c':>34} {'error':>8} {'naive f64 [s]':>13}")
    for spec in families:
        p = replica.prior(spec)
        t, res = timed(lambda: capacity_e3(p, [0], 30)[0])
        naive = ""
        if spec in NAIVE_PPF:
            tn, _ = timed(lambda: naive_alpha(NAIVE_PPF[spec], 0.0))
            naive = f"{tn:13.4f}"
        old = f"{OLD_E3[spec]:8.3f}" if spec in OLD_E3 else f"{'--':>8}"
        print(f"{spec:48s} {old} {t:9.3f} {mp.nstr(res.alpha_c, printable_digits(res.alpha_c, res.error, 30)):>34} {mp.nstr(res.error, 1):>8} {naive}")


def section_sweep():
    print("\n2. 200-point kappa sweep in double precision (lognormal:sigma=1)")
    kappas = np.linspace(0, 3, 200)
    p = replica.prior("lognormal:sigma=1")
    t_fast, fast = timed(lambda: capacity_e3_np(p, kappas), repeat=3)
    ppf = NAIVE_PPF["lognormal:sigma=1"]
    t_naive, naive = timed(lambda: np.array([naive_alpha(ppf, k) for k in kappas]))
    print(f"   ours  : {t_fast * 1e3:8.2f} ms total, {t_fast / 200 * 1e6:8.1f} us/point")
    print(f"   naive : {t_naive * 1e3:8.2f} ms total ({t_naive / t_fast:.0f}x slower); "
          f"max |difference| {np.max(np.abs(fast - naive)):.1e}")


def naive_binary_q(alpha, kappa=0.0):
    """Damped fixed point of E2 for binary weights, every integral by scipy.quad."""
    q = 0.5
    for _ in range(2000):
        u = lambda t: (kappa - np.sqrt(q) * t) / np.sqrt(1 - q)  # noqa: E731
        jj = integrate.quad(lambda t: (stats.norm.pdf(u(t)) / stats.norm.sf(u(t))) ** 2 * stats.norm.pdf(t),
                            -10, 10, limit=200)[0]
        qh = alpha / (1 - q) * jj
        new = integrate.quad(lambda z: np.tanh(np.sqrt(qh) * z) ** 2 * stats.norm.pdf(z), -10, 10, limit=200)[0]
        if abs(new - q) < 1e-11:
            return new
        q = 0.5 * q + 0.5 * new
    return q


def section_curve(n_points):
    print(f"\n3. {n_points}-point q(alpha) curves (float64 RS saddle point, E1-E2)")
    alphas = np.linspace(0.02, 1.0, n_points)
    for spec, check in (("binary", False), ("rectified", False), ("rectified", True), ("lognormal:sigma=1", False)):
        p = replica.prior(spec)
        if check:
            t, pts = timed(lambda: replica.curve(p, 0.0, alphas[alphas < 0.95]))
        else:
            from solvers import rs_saddle as R
            ms = R.measures_of(p)
            guess = [None]

            def run():
                out = []
                for a in alphas[alphas < (0.95 if spec == "rectified" else 0.7 if "log" in spec else 1.2)]:
                    pt = R.point_at_alpha(ms, float(a), 0.0, qh_guess=guess[0])
                    guess[0] = pt.qh
                    out.append(pt)
                return out
            t, pts = timed(run)
        label = f"{spec}{' (+2n-node error check)' if check else ''}"
        print(f"   {label:40s} {t / len(pts) * 1e3:8.1f} ms/point over {len(pts)} points")
    from solvers import rs_saddle as R
    for spec in ("binary", "rectified", "lognormal:sigma=1"):
        ms = R.measures_of(replica.prior(spec))
        qhs = np.geomspace(0.01, 300, 50)
        t, _ = timed(lambda: [R.rs_point(ms, float(qh), 0.0) for qh in qhs])
        print(f"   {spec:40s} {t / 50 * 1e3:8.1f} ms/point parametrised by qh (alpha(qh) explicit, E2)")
    sub = alphas[:10]
    t_naive, qn = timed(lambda: [naive_binary_q(a) for a in sub])
    t_fast, pts = timed(lambda: replica.curve("binary", 0.0, sub))
    diff = max(abs(a - b.q) for a, b in zip(qn, pts))
    print(f"   naive binary fixed point: {t_naive / len(sub) * 1e3:8.1f} ms/point "
          f"(ours {t_fast / len(sub) * 1e3:.1f} ms/point, {t_naive / t_fast:.0f}x); max |dq| {diff:.1e}")


def section_bayes(alphas=(0.5, 1.0, 2.0, 4.0, 8.0)):
    print("\n4. Bayes-optimal student, continuous teacher (Nishimori line, E5-E7), per alpha point")
    print("   old: 48 atoms + 400-point q scan; new: solvers.posterior (table once per prior, then polish)")
    from solvers import constraints as C, fixed_point as fp
    from solvers.channels import Teacher
    peer = _tramp_times(alphas)
    print("   peer (tramp state evolution, TRAMP_VENV): " + (peer if isinstance(peer, str) else "per point below"))
    ch = Teacher()
    for spec in ("gaussian", "lognormal:sigma=1", "uniform"):
        prior = replica.prior(spec).normalized()
        old = C.Bayes(prior)
        old.__dict__["law"] = None          # the atom-surrogate engine this replaced
        t_old, _ = timed(lambda: [fp.nishimori_branches(old, ch, a) for a in alphas[:2]])
        new = C.Bayes(prior)
        t_tab, _ = timed(lambda: new.table)
        t_new, _ = timed(lambda: [fp.nishimori_branches(new, ch, a) for a in alphas], repeat=3)
        tramp = peer.get(spec) if isinstance(peer, dict) else None
        print(f"   {spec:24s} old {t_old / 2 * 1e3:8.1f} ms/point   new {t_new / len(alphas) * 1e3:6.1f} ms/point "
              f"(+ {t_tab * 1e3:.0f} ms table once per process)"
              + (f"   tramp {tramp * 1e3:6.1f} ms/point" if tramp else "   tramp: no such prior in tramp_se"))


def _tramp_times(alphas):
    """{replica spec: tramp's mean seconds per point} from benchmarks/peer/tramp_se.py in
    tramp's virtualenv, or the reason it was not run (see benchmarks/peer/README.md)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "peer"))
    import compare_tramp

    out, msg = compare_tramp.run_tramp(list(alphas), 3)
    if out is None:
        return msg
    names = {"gaussian": "gaussian"}      # the priors tramp_se runs that section 4 also times
    times = {}
    for p in out["points"]:
        if p["prior"] in names:
            times.setdefault(names[p["prior"]], []).append(p["time_s"])
    return {k: sum(v) / len(v) for k, v in times.items()}


def naive_binary_e4(dps=30):
    """The former E4 solve for binary weights: mp.findroot's secant on log qh from the float64
    root (its second point 1/4 away), q, E log Z, G_E and J by mp.quad at dps + 5."""
    from solvers.energetic import mp_energetic_terms
    from solvers import rs_saddle as R

    p = replica.prior("binary")
    zero = R.find_qh_root(R.measures_of(p), lambda pt: pt.entropy, 0.0, float(p.shannon_entropy()))
    with mp.workdps(dps + 5):
        def point(lq):
            qh = mp.exp(lq)
            r = mp.sqrt(qh)
            q = mp.quad(lambda z: mp.tanh(r * z) ** 2 * mp.npdf(z), [-mp.inf, 0, mp.inf])
            logz = mp.quad(lambda z: mp.log(mp.cosh(r * z)) * mp.npdf(z), [-mp.inf, 0, mp.inf]) - qh / 2
            ge, jj, _ = mp_energetic_terms(q, 0)
            alpha = qh * (1 - q) / jj
            return alpha, qh * q / 2 + logz + alpha * ge + mp.log(2)
        root = mp.findroot(lambda lq: point(lq)[1], mp.log(zero.qh), solver="secant", tol=mp.eps * 100)
        return point(root)[0]


# CPU seconds of the former implementation (mp.quad, dc77211), `replica capacity` at --dps 30
OLD_E4 = {"ternary": (107.0, "3 kappas 0, 0.5, 1 (issue 19; 218 s wall on a loaded 2-core machine)")}


def section_e4(naive=True):
    print("\n5. zero-entropy capacity at 30 digits (E4), replica.capacity per prior (float64 scans included)")
    for spec, kappas in (("binary", [0]), ("ternary", [0]), ("ternary", [0, 0.5, 1])):
        c = time.process_time()
        res = replica.capacity(spec, kappas, dps=30)
        t = time.process_time() - c
        vals = ", ".join(mp.nstr(r.alpha_c, 30) for r in res)
        print(f"   {spec:8s} kappa {','.join(map(str, kappas)):9s} {t:6.2f} s CPU   alpha_c {vals}  "
              f"(error <= {mp.nstr(max(r.error_estimate for r in res), 2)})")
        if spec == "binary" and naive:
            c = time.process_time()
            a = naive_binary_e4()
            tn = time.process_time() - c
            print(f"   {'':8s} former method (mp.quad): {tn:6.2f} s CPU ({tn / t:.0f}x), "
                  f"|difference| {mp.nstr(abs(a - res[0].alpha_c), 2)}")
        if spec in OLD_E4 and len(kappas) == 3:
            old, what = OLD_E4[spec]
            print(f"   {'':8s} former method: {old:.0f} s CPU recorded for {what} ({old / t:.0f}x)")


# Gardner's q(alpha) at kappa = 0 and spherical E8's eps_g at alpha = 1, 30-digit mp references
# (tests/test_curve_near_alpha_rs.py, tests/test_teacher_student.py compute them)
GARDNER_Q = {0.5: 0.30739317537974906337, 1.9: 0.97087491745562718427}
E8_SPHERICAL_EPS_1 = 0.26571146993830027135


def section_continuum():
    print("\n6. continuous priors, one finite-alpha point (E1-E2): node engine vs continuous engine")
    from replica.capacity import _curve_point, _Levels, curve
    from solvers.capacity import capacity_e3_np
    for spec, a in (("gaussian", 0.5), ("gaussian", 1.9), ("uniform", 0.5), ("lognormal:sigma=1", 0.5)):
        p = replica.prior(spec)
        a_exact = float(capacity_e3_np(p, [0.0])[0])
        t_old, old = timed(lambda: _curve_point(_Levels(p, 0.0), a, a_exact, 64))
        t_new, (new,) = timed(lambda: curve(p, 0.0, [a]))
        ref = GARDNER_Q.get(a) if spec == "gaussian" else None
        act = (lambda x: f" actual {abs(x - ref):.1e}") if ref is not None else (lambda x: "")
        print(f"   {spec:18s} alpha {a:4.2f}  nodes {t_old:7.2f} s  q error {old.q_error:.1e}{act(old.q)}   "
              f"continuum {t_new:6.2f} s  q error {new.q_error:.1e}{act(new.q)}")
    from solvers import teacher_student as ts
    from solvers.channels import Teacher
    st = ts.SphericalStudent([1.0], [1.0])
    t_old, old = timed(lambda: ts.max_margin(st, 1.0))
    t_new, new = timed(lambda: ts.spherical_max_margin(1.0, *Teacher().E_on(12)))
    print(f"   spherical max margin alpha 1: spline {t_old * 1e3:6.1f} ms, eps_g error "
          f"{abs(old.eps_g - E8_SPHERICAL_EPS_1):.1e} (claimed 0)   exact A(R) {t_new * 1e3:6.1f} ms, "
          f"eps_g error {abs(new.eps_g - E8_SPHERICAL_EPS_1):.1e}")


def section_soft():
    print("\n7. soft-prior students, one Gibbs point: 64 atoms (former) vs continuous measure")
    import importlib

    from solvers import constraints as C

    rts = importlib.import_module("replica.teacher_student")    # the module (replica.teacher_student is the function)

    class AtomSoft(C.Soft):
        law = None          # the atom-surrogate engine this replaced (64 atoms; its check 96)

    cases = [("binary", "soft:gaussian", 5.0, 0.3,
              lambda: replica.teacher_student("binary", "spherical", "gibbs", [5.0], noise=0.3)[0].eps_g, "eps_g"),
             ("lognormal:sigma=1", "soft:gaussian", 2.0, 0.0,
              lambda: replica.teacher_student("gaussian", "spherical", "gibbs", [2.0])[0].eps_g, "eps_g"),
             ("lognormal:sigma=1", "soft:lognormal:sigma=1", 1.0, 0.0,
              lambda: replica.teacher_student("lognormal:sigma=1", "bayes", None, [1.0])[0].q, "q")]
    for teacher, student, a, noise, exact, what in cases:
        ref = exact()
        pick = (lambda p: p.eps_g) if what == "eps_g" else (lambda p: p.R)
        t_new, (new,) = timed(lambda: replica.teacher_student(teacher, student, "gibbs", [a], noise=noise))
        saved = rts.PREFIXED["soft:"]
        rts.PREFIXED["soft:"] = dataclasses.replace(saved, build=lambda spec, pt: AtomSoft(replica.prior(spec[5:])))
        try:
            t_old, (old,) = timed(lambda: replica.teacher_student(teacher, student, "gibbs", [a], noise=noise))
        finally:
            rts.PREFIXED["soft:"] = saved
        print(f"   {teacher:18s} {student:24s} alpha {a:3.1f}  atoms {t_old:6.2f} s, {what} error "
              f"{abs(pick(old) - ref):.1e} (claimed eps {old.eps_error:.1e})   continuous {t_new:6.2f} s, "
              f"{abs(pick(new) - ref):.1e} (claimed eps {new.eps_error:.1e})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer families and curve points")
    args = ap.parse_args()
    section_e3(FAMILIES[:4] if args.quick else FAMILIES)
    section_sweep()
    section_curve(10 if args.quick else 50)
    section_bayes()
    section_e4(naive=not args.quick)
    section_continuum()
    section_soft()


if __name__ == "__main__":
    main()

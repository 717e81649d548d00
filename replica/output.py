"""Text and JSON writers: every number the CLI prints is formatted here, from `Result`s
(replica.results); the CLI parses, calls the API, and prints what these return.

`capacity_dict`, `curve_point_dict`, `curve_mp_dict`, `ts_point_dict` give the JSON layouts
(`CapacityResult.to_dict` is `capacity_dict` of its Result); `capacity_text`, `curve_text`,
`curve_mp_text`, `ts_text`, `ts_compare_text`, `ts_optimize_text` the plain-text reports
(lists of lines); `json_safe` maps NaN and infinity to null, which JSON lacks.
"""
from __future__ import annotations

import math

import mpmath as mp

from .results import mpstr, printable_digits, supported_digits

CONVENTIONS = ("conventions: weights rescaled to E_P w^2 = 1, inputs x ~ N(0,1), "
               "margin kappa against that norm, alpha = P/N (THEORY.md sec. 1)")


def cell(x, width, fmt):
    """A table cell; '--' where a quantity does not apply (None) or was not reached (nan)."""
    ok = x is not None and math.isfinite(x)
    return f"{x:{width}{fmt}}" if ok else f"{'--':>{width}}"


def json_safe(obj):
    """JSON has no NaN or infinity: they become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def capacity_dict(r):
    """The JSON layout of a capacity Result: high-precision numbers as strings of `dps` digits;
    W2 = sqrt(2 (1 - E zT)) keeps only the digits its error leaves (half of them near 0)."""
    d, v, w2_err = r.dps, r.values, r.error.get("w2_distance")
    return {
        "prior": r.inputs["prior"],
        "kappa": mpstr(r.inputs["kappa"], d),
        "dps": d,
        # no digit below the error estimate (it covers rounding to dps digits, `capacity_e3`)
        "alpha_c": mpstr(v["alpha_c"], printable_digits(v["alpha_c"], r.error["alpha_c"], d)),
        "alpha_rs": mpstr(v["alpha_rs"], printable_digits(v["alpha_rs"], r.error.get("alpha_rs", r.error["alpha_c"]), d)),
        "alpha_entropy_zero": mpstr(v["alpha_entropy_zero"], printable_digits(v["alpha_entropy_zero"],
                                                                              r.error["alpha_c"], d)),
        "alpha_at": v["alpha_at"],
        "w2_distance": mpstr(v["w2_distance"], d if w2_err is None else supported_digits(v["w2_distance"], w2_err, d)),
        "ez_transport": mpstr(v["ez_transport"], d),
        "error_estimate": _up(r.error["alpha_c"]),
        "method": r.method,
        "conventions": "E_P w^2 = 1, x ~ N(0,1), margin kappa, alpha = P/N",
    }


def capacity_text(results, dps, sweep):
    """E3/E4 capacity Results: one in full, or a kappa sweep as a table."""
    out = [f"prior: {results[0].inputs['prior']}   precision: {dps} digits", CONVENTIONS]
    if not sweep:
        r = results[0]
        d, v = capacity_dict(r), r.values
        out.append(f"kappa              = {d['kappa']}")
        out.append(f"alpha_c            = {d['alpha_c']}   (capacity; error estimate {d['error_estimate']})")
        out.append(f"alpha_rs           = {d['alpha_rs']}   (q -> 1, E3)")
        if v["alpha_entropy_zero"] is not None:
            out.append(f"alpha_entropy_zero = {d['alpha_entropy_zero']}   (RS entropy vanishes, E4)")
        if v["alpha_at"] is not None:
            out.append(f"alpha_AT           = {v['alpha_at']:.10g}   (RS unstable beyond, float64)")
        out.append(f"W2(P, N(0,1))      = {d['w2_distance']}")
        out.append(f"E z T(z)           = {d['ez_transport']}   (alpha_c = alpha_Gardner (E zT)^2)")
        out.append(f"method: {r.method}")
        return out
    width = min(dps, 20)
    out.append(f"{'kappa':>10} {'alpha_c':>{width + 6}} {'alpha_rs':>{width + 6}} {'error':>9}")
    for r in results:
        v, err = r.values, r.error["alpha_c"]
        ent = "" if v["alpha_entropy_zero"] is None else "  (entropy zero)"
        # a row shows at most 20 digits and none below its estimate; rounding to fewer
        # digits than dps adds half a unit of the last one to the printed error
        digits = min(width, printable_digits(v["alpha_c"], err, dps),
                     printable_digits(v["alpha_rs"], r.error.get("alpha_rs", err), dps))
        if digits < dps:
            err = err + mp.mpf(10) ** (int(mp.floor(mp.log10(abs(v["alpha_c"])))) - digits + 1) / 2
        out.append(f"{mp.nstr(r.inputs['kappa'], 6):>10} {mp.nstr(v['alpha_c'], digits):>{width + 6}} "
                   f"{mp.nstr(v['alpha_rs'], digits):>{width + 6}} {_up(err):>9}{ent}")
    return out


def _up(err):
    """An error estimate in 2 digits, rounded up (a printed bound must not shrink)."""
    if not err:
        return "0"
    e = int(mp.floor(mp.log10(err)))
    m = mp.ceil(err / mp.mpf(10) ** (e - 1))
    return mp.nstr(m * mp.mpf(10) ** (e - 1), 2)


def curve_mp_dict(r):
    """The JSON layout of an mp curve point: numbers as strings of `dps` digits."""
    f = lambda x: mp.nstr(x, r.dps, strip_zeros=False)  # noqa: E731
    v = r.values
    return {"alpha": f(r.inputs["alpha"]), "q": f(v["q"]), "qh": f(v["qh"]), "entropy": f(v["entropy"]),
            "q_error": mp.nstr(r.error["q"], 3), "entropy_error": mp.nstr(r.error["entropy"], 3), "dps": r.dps}


def curve_mp_text(spec, kappa, dps, results):
    """The mp saddle points of E1-E2 (and the entropy E4), with their error estimates."""
    out = [f"prior: {spec}   kappa: {kappa:g}   ({dps} digits; RS saddle point E1-E2, entropy E4)", CONVENTIONS]
    for r in results:
        d = curve_mp_dict(r)
        out.append(f"alpha = {d['alpha']}\n  q       = {d['q']}   (error {d['q_error']})\n"
                   f"  qh      = {d['qh']}\n  entropy = {d['entropy']}   (error {d['entropy_error']})")
    return out


CURVE_FIELDS = ("q", "qh", "free_entropy", "entropy", "at_eigenvalue", "rs_stable")


def curve_point_dict(r):
    """The JSON layout of a float64 curve point (its Lagrange function if the Result has it)."""
    d = {"alpha": r.inputs["alpha"], **{k: r.values[k] for k in CURVE_FIELDS}, "q_error": r.error["q"],
         "status": r.values["status"]}
    if "lagrange" in r.values:
        d["lagrange"] = r.values["lagrange"]
    return d


def curve_text(spec, kappa, results):
    """The float64 curve q(alpha) of E1-E2 as a table."""
    out = [f"prior: {spec}   kappa: {kappa:g}   (float64; RS saddle point E1-E2)", CONVENTIONS,
           "free entropy is relative to the prior (0 at alpha = 0); 'entropy' counts discrete configurations (E4)",
           f"{'alpha':>8} {'q':>14} {'qh':>12} {'free_entropy':>14} {'entropy':>12} {'AT eig':>9} {'q error':>9}"]
    for r in results:
        v, alpha = r.values, r.inputs["alpha"]
        if v["status"] != "ok":
            out.append(f"{alpha:8.5g}   {v['status']}")
            continue
        ent = "" if v["entropy"] is None else f"{v['entropy']:12.6f}"
        at = "" if v["at_eigenvalue"] is None else f"{v['at_eigenvalue']:9.4f}"
        out.append(f"{alpha:8.5g} {v['q']:14.10f} {v['qh']:12.5g} {v['free_entropy']:14.8f} {ent:>12} {at:>9} "
                   f"{r.error['q']:9.1e}")
    return out


TS_FIELDS = ("R", "q", "eps_g", "kappa", "free_entropy")


def ts_point_dict(r):
    """The JSON layout of a teacher-student point (TSPoint.to_dict's)."""
    return {"alpha": r.inputs["alpha"], **{k: r.values[k] for k in TS_FIELDS}, "branch": r.method,
            "eps_error": r.error["eps_g"]}


def ts_compare_text(teacher, alphas, res):
    """Max-margin eps_g of several students side by side (E8)."""
    out = [f"teacher: {teacher}   max-margin eps_g = arccos(R)/pi (clean teacher) by student"]
    labels = list(res)
    out.append(f"{'alpha':>10} " + " ".join(f"{k:>18}" for k in labels))
    for i, a in enumerate(alphas):
        out.append(f"{a:10.5g} " + " ".join(cell(res[k][i]["eps_g"], 18, ".8f") for k in labels))
    for r in res.get(f"optimal {teacher.split(':')[0]}", []):
        out.append(f"  alpha {r.inputs['alpha']:g}: {r.method}")
    return out


def ts_optimize_text(teacher, family, res):
    """The optimal student prior of a family at each alpha (E8)."""
    out = [f"teacher: {teacher}   optimal student in family '{family}' at each alpha (max-margin)",
           f"{'alpha':>10} {'parameter':>10} {'R':>12} {'eps_g':>12} {'kappa':>12}"]
    for a, x, r in res:
        v = r.values
        out.append(f"{a:10.5g} {x:10.4f} {cell(v['R'], 12, '.8f')} {cell(v['eps_g'], 12, '.8f')} "
                   f"{cell(v['kappa'], 12, '.8f')}")
    return out


def ts_text(teacher, student, rule, channel, results, trans):
    """Teacher-student points (E5-E8) and the transitions found along alpha."""
    noise, flip, temperature = channel
    desc = f"noise sigma={noise:g}, flips p={flip:g}" if (noise or flip) else "noise-free"
    if temperature:
        desc += f", T={temperature:g}"
    out = [f"teacher: {teacher}   student: {student}   rule: {rule}   (RS, {desc}, float64)",
           "eps_g = arccos(R)/pi against the clean teacher (E7); weights at unit second moment; "
           "'--' = does not apply or not reached"]
    extra = [(name, head) for name, head in (("kappa", "kappa"), ("free_entropy", "free_entropy"))
             if any(r.values[name] is not None for r in results)]
    out.append(f"{'alpha':>10} {'R':>12} {'q':>12} {'eps_g':>12} " + "".join(f"{h:>13} " for _, h in extra)
               + f"{'eps error':>9}  branch")
    for r in results:
        v = r.values
        cells = "".join(cell(v[name], 13, ".8f") + " " for name, _ in extra)
        out.append(f"{r.inputs['alpha']:10.5g} {cell(v['R'], 12, '.8f')} {cell(v['q'], 12, '.8f')} "
                   f"{cell(v['eps_g'], 12, '.8f')} {cells}{cell(r.error['eps_g'], 9, '.1e')}  {r.method}")
    for tr in trans:
        out.append(f"transition: {tr['type']} at alpha = {tr['alpha']:.8f}")
    return out

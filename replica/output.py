"""Text and JSON writers for the command line: every number the CLI prints is formatted
here, from the API's result objects (the CLI parses, calls the API and prints these).

`capacity_text`, `curve_text`, `curve_mp_text`, `ts_text`, `ts_compare_text`,
`ts_optimize_text` give the plain-text reports (a list of lines); `json_safe` maps NaN and
infinity to null, which JSON lacks.
"""
from __future__ import annotations

import math

import mpmath as mp

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


def capacity_text(results, dps, sweep):
    """E3/E4 capacity: one result in full, or a kappa sweep as a table."""
    p = results[0]
    out = [f"prior: {p.prior}   precision: {dps} digits", CONVENTIONS]
    if not sweep:
        r = results[0]
        d = r.to_dict()
        out.append(f"kappa              = {d['kappa']}")
        out.append(f"alpha_c            = {d['alpha_c']}   (capacity; error estimate {d['error_estimate']})")
        out.append(f"alpha_rs           = {d['alpha_rs']}   (q -> 1, E3)")
        if r.alpha_entropy_zero is not None:
            out.append(f"alpha_entropy_zero = {d['alpha_entropy_zero']}   (RS entropy vanishes, E4)")
        if r.alpha_at is not None:
            out.append(f"alpha_AT           = {r.alpha_at:.10g}   (RS unstable beyond, float64)")
        out.append(f"W2(P, N(0,1))      = {d['w2_distance']}")
        out.append(f"E z T(z)           = {d['ez_transport']}   (alpha_c = alpha_Gardner (E zT)^2)")
        out.append(f"method: {r.method}")
        return out
    digits = min(dps, 20)
    out.append(f"{'kappa':>10} {'alpha_c':>{digits + 6}} {'alpha_rs':>{digits + 6}} {'error':>9}")
    for r in results:
        ent = "" if r.alpha_entropy_zero is None else "  (entropy zero)"
        out.append(f"{mp.nstr(r.kappa, 6):>10} {mp.nstr(r.alpha_c, digits):>{digits + 6}} "
                   f"{mp.nstr(r.alpha_rs, digits):>{digits + 6}} {mp.nstr(r.error_estimate, 2):>9}{ent}")
    return out


def curve_mp_text(spec, kappa, dps, pts):
    """The mp saddle points of E1-E2 (and the entropy E4), with their error estimates."""
    out = [f"prior: {spec}   kappa: {kappa:g}   ({dps} digits; RS saddle point E1-E2, entropy E4)", CONVENTIONS]
    for pt in pts:
        d = pt.to_dict()
        out.append(f"alpha = {d['alpha']}\n  q       = {d['q']}   (error {d['q_error']})\n"
                   f"  qh      = {d['qh']}\n  entropy = {d['entropy']}   (error {d['entropy_error']})")
    return out


def curve_text(spec, kappa, pts):
    """The float64 curve q(alpha) of E1-E2 as a table."""
    out = [f"prior: {spec}   kappa: {kappa:g}   (float64; RS saddle point E1-E2)", CONVENTIONS,
           "free entropy is relative to the prior (0 at alpha = 0); 'entropy' counts discrete configurations (E4)",
           f"{'alpha':>8} {'q':>14} {'qh':>12} {'free_entropy':>14} {'entropy':>12} {'AT eig':>9} {'q error':>9}"]
    for pt in pts:
        if pt.status != "ok":
            out.append(f"{pt.alpha:8.5g}   {pt.status}")
            continue
        ent = "" if pt.entropy is None else f"{pt.entropy:12.6f}"
        at = "" if pt.at_eigenvalue is None else f"{pt.at_eigenvalue:9.4f}"
        out.append(f"{pt.alpha:8.5g} {pt.q:14.10f} {pt.qh:12.5g} {pt.free_entropy:14.8f} {ent:>12} {at:>9} "
                   f"{pt.q_error:9.1e}")
    return out


def ts_compare_text(teacher, alphas, res):
    """Max-margin eps_g of several students side by side (E8)."""
    out = [f"teacher: {teacher}   max-margin eps_g = arccos(R)/pi (clean teacher) by student"]
    labels = list(res)
    out.append(f"{'alpha':>10} " + " ".join(f"{k:>18}" for k in labels))
    for i, a in enumerate(alphas):
        out.append(f"{a:10.5g} " + " ".join(cell(res[k][i].eps_g, 18, ".8f") for k in labels))
    for p in res.get(f"optimal {teacher.split(':')[0]}", []):
        out.append(f"  alpha {p.alpha:g}: {p.branch}")
    return out


def ts_optimize_text(teacher, family, res):
    """The optimal student prior of a family at each alpha (E8)."""
    out = [f"teacher: {teacher}   optimal student in family '{family}' at each alpha (max-margin)",
           f"{'alpha':>10} {'parameter':>10} {'R':>12} {'eps_g':>12} {'kappa':>12}"]
    for a, x, p in res:
        out.append(f"{a:10.5g} {x:10.4f} {cell(p.R, 12, '.8f')} {cell(p.eps_g, 12, '.8f')} {cell(p.kappa, 12, '.8f')}")
    return out


def ts_text(teacher, student, rule, channel, pts, trans):
    """Teacher-student points (E5-E8) and the transitions found along alpha."""
    noise, flip, temperature = channel
    desc = f"noise sigma={noise:g}, flips p={flip:g}" if (noise or flip) else "noise-free"
    if temperature:
        desc += f", T={temperature:g}"
    out = [f"teacher: {teacher}   student: {student}   rule: {rule}   (RS, {desc}, float64)",
           "eps_g = arccos(R)/pi against the clean teacher (E7); weights at unit second moment; "
           "'--' = does not apply or not reached"]
    extra = [(name, head) for name, head in (("kappa", "kappa"), ("free_entropy", "free_entropy"))
             if any(getattr(p, name) is not None for p in pts)]
    out.append(f"{'alpha':>10} {'R':>12} {'q':>12} {'eps_g':>12} " + "".join(f"{h:>13} " for _, h in extra)
               + f"{'eps error':>9}  branch")
    for p in pts:
        cells = "".join(cell(getattr(p, name), 13, ".8f") + " " for name, _ in extra)
        out.append(f"{p.alpha:10.5g} {cell(p.R, 12, '.8f')} {cell(p.q, 12, '.8f')} {cell(p.eps_g, 12, '.8f')} "
                   f"{cells}{cell(p.eps_error, 9, '.1e')}  {p.branch}")
    for tr in trans:
        out.append(f"transition: {tr['type']} at alpha = {tr['alpha']:.8f}")
    return out

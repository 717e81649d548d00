"""Prior spec strings -> prior objects, by a whitelist grammar (no eval of user text).

    spec    := family [":" params]
             | "mixture:" terms          pooled mixture, e.g. 0.3*gaussian+0.7*lognormal(sigma=1)
             | "groups:"  terms          synapse groups, e.g. 0.8*lognormal(sigma=1)+0.2*-lognormal
             | "ei:" params              E/I lognormal groups with balance (fE, sigmaE, sigmaI)
             | "density:expr=FORMULA[,support=a|b]"
             | "file:PATH"               measured weights (.csv, .txt, .npy)
             | "geometry:potential=NAME,init=INIT,dual_std=S[,dual_mean=M][,reaction=C]"
                                         weights after mirror-descent learning (replica.geometry.law)
    params  := name "=" value ("," name "=" value)*      value := number ("|" number)*
    terms   := term ("+" term)*          term := [number "*"] ["-"] family ["(" params ")"]
"""
from __future__ import annotations

import decimal
import re

import mpmath as mp

from .base import Prior, PriorError, check_probs
from . import families as _families  # noqa: F401  (registers the built-in laws)
from .groups import excitatory_inhibitory, make_groups
from .registry import COMPOSITES, FAMILIES, HEADS, LAWS, register_head  # noqa: F401

_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"   # ASCII digits only
_NUMBER_RE = re.compile(rf"^(?:{_NUMBER}|[+-]?inf)$")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TERM_RE = re.compile(rf"\s*(?:({_NUMBER})\s*\*\s*)?(-\s*)?([A-Za-z][A-Za-z0-9_]*)\s*(?:\(([^()]*)\))?\s*")
MAX_SPEC = 4000

MAX_EXPONENT = 400   # |decimal exponent| of a parameter: beyond it no prior is meaningful in float64 either
INFINITE_OK = ("support", "domain")   # the only parameters whose values may be +-inf (interval ends)


def number(text: str, name: str = "value"):
    text = text.strip()
    if not _NUMBER_RE.match(text):
        raise PriorError(f"{name}: '{text}' is not a number")
    if text.lstrip("+-") == "inf":
        if name not in INFINITE_OK:
            raise PriorError(f"{name} must be finite, got {text}")
        return mp.mpf(text)
    dec = decimal.Decimal(text)
    if dec != 0 and abs(dec.adjusted()) > MAX_EXPONENT:
        raise PriorError(f"{name}: {text} is out of range (magnitudes 1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT})")
    with mp.workdps(1100):  # keep every digit the user typed, whatever dps is used later
        return mp.mpf(text)


def split_top(text: str, sep: str):
    """Split on `sep` outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise PriorError(f"unbalanced ')' in '{text}'")
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth != 0:
        raise PriorError(f"unbalanced '(' in '{text}'")
    parts.append("".join(cur))
    return parts


def parse_params(text: str, allowed=None, raw=()):
    """'a=1,b=2|3' -> {'a': mpf, 'b': [mpf, mpf]}; names in `raw` keep their text."""
    out = {}
    if not text.strip():
        return out
    for item in split_top(text, ","):
        if "=" not in item:
            raise PriorError(f"expected name=value, got '{item.strip()}'")
        name, value = (s.strip() for s in item.split("=", 1))
        if not _NAME_RE.match(name):
            raise PriorError(f"bad parameter name '{name}'")
        if allowed is not None and name not in allowed:
            raise PriorError(f"unknown parameter '{name}' (allowed: {', '.join(allowed) or 'none'})")
        if name in out:
            raise PriorError(f"parameter '{name}' given twice")
        if name in raw:
            out[name] = value
        elif "|" in value:
            out[name] = [number(v, name) for v in value.split("|")]
        else:
            out[name] = number(value, name)
    return out


def _default(value, name):
    """A registered default, read like a typed value (a decimal string keeps its digits)."""
    if isinstance(value, (list, tuple)):
        return [_default(v, name) for v in value]
    if isinstance(value, str):
        return number(value, name)
    return mp.mpf(value)


def _family(name: str, params_text: str, spec: str) -> Prior:
    law = LAWS.get(name)
    if law is None:
        known = ", ".join(list(LAWS) + list(HEADS))
        raise PriorError(f"unknown prior family '{name}' (known: {known})")
    params = parse_params(params_text, law.params)
    for key, val in params.items():
        if isinstance(val, list) and key not in law.lists:
            raise PriorError(f"parameter '{key}' of {name} takes one number, got a list")
    for key in law.lists:
        if key in params and not isinstance(params[key], list):
            params[key] = [params[key]]
    for key, val in law.defaults.items():
        if key not in params:
            params[key] = _default(val, key)
    return law.ctor(spec, **params)


def _terms(body: str, spec: str):
    """'0.3*gaussian+0.7*-lognormal(sigma=1)' -> [(0.3, Prior), (0.7, negated Prior)]."""
    terms, pos = [], 0
    body = body.strip()
    while pos < len(body):
        m = _TERM_RE.match(body, pos)
        if not m or m.end() == pos:
            raise PriorError(f"cannot read a term at '{body[pos:]}' in '{spec}'")
        weight, neg, name, params = m.groups()
        prior = _family(name, params or "", name)
        terms.append((number(weight) if weight else None, prior.negated() if neg else prior))
        pos = m.end()
        if pos < len(body):
            if body[pos] != "+":
                raise PriorError(f"expected '+' between terms at '{body[pos:]}' in '{spec}'")
            pos += 1
            if not body[pos:].strip():
                raise PriorError(f"nothing after the last '+' in '{spec}'")
    if not terms:
        raise PriorError(f"no terms in '{spec}'")
    if any(w is None for w, _ in terms):
        if len(terms) > 1 and not all(w is None for w, _ in terms):
            raise PriorError("give every term a weight, or none (equal weights)")
        terms = [(mp.mpf(1) / len(terms), p) for _, p in terms]
    weights = check_probs([w for w, _ in terms], what="weights")
    return [(w, p) for w, (_, p) in zip(weights, terms)]


def _mixture(spec, terms) -> Prior:
    values, probs, masses, parts = [], [], [], []
    for w, p in terms:
        values += list(p.values)
        probs += [w * mp.mpf(q) for q in p.probs]
        masses += [w * mp.mpf(c) for c in p.masses]
        parts += list(p.parts)
    merged: dict = {}
    for v, q in zip(values, probs):
        merged[mp.mpf(v)] = merged.get(mp.mpf(v), mp.mpf(0)) + q
    vals = tuple(sorted(merged))
    return Prior(spec, values=vals, probs=tuple(merged[v] for v in vals), masses=tuple(masses), parts=tuple(parts))


def parse_prior(spec: str):
    """A prior object from its spec string; PriorError (a ValueError) with one clear line
    on anything that does not describe a probability distribution."""
    if not isinstance(spec, str):
        raise PriorError(f"a prior spec is a string, got {type(spec).__name__}")
    spec = spec.strip()
    if not spec:
        raise PriorError("empty prior spec")
    if len(spec) > MAX_SPEC:
        raise PriorError(f"prior spec longer than {MAX_SPEC} characters")
    name, _, body = spec.partition(":")
    name = name.strip()
    head = HEADS.get(name)
    if head is not None:
        return head.parser(spec, body)
    return _family(name, body, spec)


# ---------------------------------------------------------------- composite heads
def _mixture_head(spec, body):
    return _mixture(spec, _terms(body, spec))


def _groups_head(spec, body):
    return make_groups(spec, _terms(body, spec))


def _ei_head(spec, body):
    return excitatory_inhibitory(spec, **parse_params(body, ("fE", "sigmaE", "sigmaI")))


def _density_head(spec, body):
    from .density import density_prior

    params = parse_params(body, ("expr", "support"), raw=("expr",))
    if "expr" not in params:
        raise PriorError("density needs expr=FORMULA, e.g. density:expr=exp(-w^4),support=-inf|inf")
    support = params.get("support", [-mp.inf, mp.inf])
    if not isinstance(support, list) or len(support) != 2:
        raise PriorError("support takes two numbers a|b (inf allowed)")
    return density_prior(spec, params["expr"], *support)


def _file_head(spec, body):
    from .empirical import file_prior

    return file_prior(spec, body.strip())


register_head("mixture", _mixture_head,
              "pooled mixture: mixture:0.3*gaussian+0.7*lognormal(sigma=1)  ('-' negates a component)")
register_head("groups", _groups_head,
              "synapse groups, each its own constraint: groups:0.8*lognormal(sigma=1)+0.2*-lognormal(sigma=0.5)")
register_head("ei", _ei_head, "E/I lognormal groups with balance: ei:fE=0.8,sigmaE=1,sigmaI=1")
register_head("density", _density_head,
              "user density: density:expr=exp(-w^4),support=-inf|inf (formula in w; see --help)")
register_head("file", _file_head, "measured weights: file:weights.csv or file:weights.npy")


def describe_families() -> str:
    lines = [f"  {n:12s} {law.help}" for n, law in LAWS.items()]
    lines += [f"  {n:12s} {head.help}" for n, head in HEADS.items()]
    return "\n".join(lines)

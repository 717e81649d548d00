"""The two registries the prior grammar reads: laws (`family[:params]`) and composite spec
heads (`head:body`).

A law is registered once with the names of its parameters:

    register_law("weibull", weibull, ("k", "scale"), "k/s (w/s)^(k-1) e^{-(w/s)^k}; params k=1.5, scale=1",
                 defaults={"k": "1.5", "scale": 1})

and from then on `replica.prior("weibull:k=2")` builds it, the help lists it, and the
conformance suite (tests/test_law_conformance.py) tests it.  The constructor is called as
ctor(spec, **params) with the spec's parameters as mp numbers (lists for the names in
`lists`), merged over `defaults`; it validates them and returns a `Prior`.

A head parses the whole body of a composite spec: parser(spec, body) -> Prior or GroupPrior.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Callable

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclasses.dataclass(frozen=True)
class Law:
    """A registered family: `params` are the allowed parameter names, in the order the
    error messages list them; `lists` the ones that take a|b|c lists (a single number is
    read as a list of one); `defaults` values used where the spec gives none."""

    name: str
    ctor: Callable
    params: tuple
    help: str
    defaults: dict
    lists: tuple = ()


@dataclasses.dataclass(frozen=True)
class Head:
    name: str
    parser: Callable
    help: str


LAWS: dict = {}
HEADS: dict = {}


def _check_name(name, what):
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"{what} name must be a letter followed by letters, digits or '_', got {name!r}")
    if name in LAWS or name in HEADS:
        raise ValueError(f"'{name}' is already registered")


def register_law(name: str, ctor: Callable, params, help: str, defaults=None, lists=()):
    """Register a prior family: `params` is the tuple of allowed parameter names."""
    _check_name(name, "law")
    params = tuple(params)
    defaults = dict(defaults or {})
    unknown = [k for k in list(defaults) + list(lists) if k not in params]
    if unknown:
        raise ValueError(f"law '{name}': {unknown} not among its params {params}")
    LAWS[name] = Law(name, ctor, params, help, defaults, tuple(lists))
    return LAWS[name]


def register_head(name: str, parser: Callable, help: str):
    """Register a composite spec head: `parser(spec, body)` builds the prior of 'name:body'."""
    _check_name(name, "head")
    HEADS[name] = Head(name, parser, help)
    return HEADS[name]


class _Pairs(Mapping):
    """A live read-only view name -> (ctor, help) (the old FAMILIES dict) or name -> help
    (the old COMPOSITES dict) of a registry."""

    def __init__(self, table, pair):
        self._table, self._pair = table, pair

    def __getitem__(self, name):
        return self._pair(self._table[name])

    def __iter__(self):
        return iter(self._table)

    def __len__(self):
        return len(self._table)

    def __repr__(self):
        return repr(dict(self))


FAMILIES = _Pairs(LAWS, lambda law: (law.ctor, law.help))
COMPOSITES = _Pairs(HEADS, lambda head: head.help)

"""Command-line plug-ins: packages built on replica (validation/, ...) add subcommands
without replica importing them.

A plug-in is an entry point `NAME = "module:register"` in the group `replica.commands`
(top-level subcommands) or `replica.geometry.commands` (under `replica geometry`);
`register(subparsers)` adds its parsers, each with `set_defaults(func=handler)`.
DEFAULT_PLUGINS names the plug-ins of this source tree by string, for a checkout run
with PYTHONPATH whose installed metadata (if any) does not list them; an entry point of
the same name wins.
"""
from __future__ import annotations

import importlib
from importlib.metadata import entry_points

DEFAULT_PLUGINS = {
    "replica.commands": {"validate": "validation.cli:register"},
    "replica.geometry.commands": {"train": "validation.cli:register_geometry"},
}


def _load(target):
    """'module:attr' -> the object, or None when the module is not installed at all."""
    module, _, attr = target.partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            return None         # the plug-in's package is absent: no such subcommand
        raise
    return getattr(mod, attr)


def plugins(group):
    """The register functions of a group: the defaults, then any other entry points."""
    targets = dict(DEFAULT_PLUGINS.get(group, {}))
    for ep in entry_points(group=group):
        targets[ep.name] = ep.value
    found = (_load(t) for t in targets.values())
    return [f for f in found if f is not None]


def add_plugins(group, subparsers):
    for register in plugins(group):
        register(subparsers)

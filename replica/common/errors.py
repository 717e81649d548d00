"""The two kinds of failure a user sees (`replica.cli.main` maps them to exit status):

* `UserError` (exit 2): the input cannot describe a valid question: a bad prior spec, an
  out-of-range number, an unreadable or unwritable file.  One line names the bad part.
* `Refused` (exit 3): the input was valid but the computation did not reach a result that
  can be trusted (no convergence, a bound violated, precision lost).  Never a number.

`Interrupted` (exit 130) is a Ctrl-C that stopped the work; its message says what was saved.
"""
from __future__ import annotations


class UserError(ValueError):
    """Bad input; the message is one line naming the bad part."""


class Refused(ArithmeticError):
    """A result that would be wrong or unverified is withheld; the message says why."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the work; the message says what was saved and how to resume."""

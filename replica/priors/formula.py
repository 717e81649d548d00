"""A whitelist parser for user formulas (densities in w): text -> sympy expression.

Hand-written tokenizer and recursive-descent parser that build sympy objects directly;
user text never reaches eval, exec, sympify or parse_expr.

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("-" | "+") unary | power
    power  := atom (("^" | "**") unary)?          right-associative, binds tighter than unary minus
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

No short string may cause unbounded work; each refusal names the part as written:
  * a constant (a part without variables) is real and finite, 0 or within 10^-10000 ..
    10^10000 in magnitude; powers, exp, sinh, cosh and gamma of constants are checked from
    the argument's value before sympy evaluates them (9^9^9, exp(1e300) are never built);
  * exact integers and rationals have at most 500 digits (sympy factors the base of an
    exact root; Python prints at most 4300 digits), number literals an exponent within +-400;
  * a numeric exponent on a base with variables is at most 10^4 in magnitude (w^(10^10));
  * exp, sinh, cosh, gamma and powers with a variable exponent nest at most 2 deep
    (exp(w - exp(w)) is fine, exp(exp(exp(w))) is not);
  * `lambdify_mp` evaluates with mpmath functions that saturate where a result would leave
    e^(+-2^20) ~ 10^(+-455000) (inf or 0, as float64 does at 10^308; nan for sin, cos, tan
    of arguments beyond 2^prec), so one evaluation is a bounded number of mpmath operations.
"""
from __future__ import annotations

import math
import re

import mpmath as mp
import sympy

from ..common.errors import UserError

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_DIGITS = 10_000           # |log10 |c|| of a constant c
MAX_EXACT_DIGITS = 500        # of the numerator and the denominator of an exact number
MAX_LITERAL_EXPONENT = 400    # 1e400 at most in a literal
MAX_POWER = 10_000            # |x| in b^x when b has variables
MAX_GROWTH = 2                # nesting of exp, sinh, cosh, gamma and b^(x with variables)

_ONE = sympy.Integer(1)
FUNCTIONS = {
    "exp": (1, 1, sympy.exp), "log": (1, 1, sympy.log), "sqrt": (1, 1, sympy.sqrt),
    "abs": (1, 1, sympy.Abs), "sin": (1, 1, sympy.sin), "cos": (1, 1, sympy.cos),
    "tan": (1, 1, sympy.tan), "sinh": (1, 1, sympy.sinh), "cosh": (1, 1, sympy.cosh),
    "tanh": (1, 1, sympy.tanh), "erf": (1, 1, sympy.erf), "erfc": (1, 1, sympy.erfc),
    "gamma": (1, 1, sympy.gamma), "sign": (1, 1, sympy.sign),
    "heaviside": (1, 1, lambda x: sympy.Heaviside(x, sympy.Rational(1, 2))),
    "step": (1, 1, lambda x: sympy.Heaviside(x, sympy.Rational(1, 2))),
    "max": (2, None, sympy.Max), "min": (2, None, sympy.Min),
}
CONSTANTS = {"pi": sympy.pi, "e": sympy.E}

_TOKEN = re.compile(r"""
    (?P<space>[ \t]+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z0-9_.]))
  | (?P<name>[A-Za-z][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),])
""", re.VERBOSE)
_ALLOWED_CHARS = re.compile(r"[A-Za-z0-9_ .+\-*/^(),\t]")


class FormulaError(UserError):
    """A formula outside the whitelist grammar or its bounds; the message names the part."""


_GROWTH = (sympy.exp, sympy.sinh, sympy.cosh, sympy.gamma)
_EXACT_BITS = int(MAX_EXACT_DIGITS * math.log2(10)) + 1
_LOG10_E = math.log10(math.e)
_LITERAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _tokenize(text: str):
    out, pos = [], 0
    while pos < len(text):
        ch = text[pos]
        if not _ALLOWED_CHARS.match(ch):
            raise FormulaError(f"character {ch!r} not allowed at position {pos} in '{text[:60]}'")
        m = _TOKEN.match(text, pos)
        if not m:
            raise FormulaError(f"malformed number or name at position {pos} in '{text[:60]}'")
        kind = m.lastgroup
        if kind != "space":
            out.append((kind, m.group(), pos))
        pos = m.end()
    return out


def _number(tok: str):
    """The exact value of a literal, or None when its exponent is beyond +-400 (1e999999999
    would otherwise be built as an exact integer)."""
    mant, _, exp = tok.lower().partition("e")
    value = sympy.Rational(mant)  # exact: "0.1" -> 1/10
    if not exp:
        return value
    if len(exp.lstrip("+-")) > 6 or abs(int(exp)) > MAX_LITERAL_EXPONENT:
        return None
    return value * sympy.Integer(10) ** int(exp)


def _digits(x):
    return mp.nstr(x, 3) if x < 10 ** 6 else mp.nstr(x, 2)


class _Parser:
    def __init__(self, text, symbols, params, functions=None):
        self.text, self.symbols, self.params = text, symbols, params
        self.functions = {**FUNCTIONS, **(functions or {})}
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.info = {}   # checked node -> (growth depth, constant?)
        self.vals = {}   # constant node -> mp value

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def error(self, msg, tok=None):
        tok = tok or self.peek()
        where = f"at position {tok[2]}" if tok else "at the end"
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return FormulaError(f"{msg} {where} in '{shown}'")

    def fail(self, msg, i0):
        """An error naming the text of tokens i0 .. the last one taken."""
        last = self.toks[self.i - 1]
        part = self.text[self.toks[i0][2]:last[2] + len(last[1])]
        part = part if len(part) <= 40 else part[:37] + "..."
        return self.error(f"'{part}' {msg}", self.toks[i0])

    def take(self, value=None):
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise self.error(f"expected '{value}'" if value else "unexpected end")
        self.i += 1
        return tok

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"formula nested deeper than {MAX_DEPTH}")

    # -- bounds: every node built is checked before anything is built on it
    def node(self, e, i0):
        self.walk(e, i0)
        return e

    def const(self, e):
        return self.info[e][1]

    def walk(self, e, i0):
        """Check the parts of `e` not seen before, children first; returns (depth, constant?)."""
        got = self.info.get(e)
        if got is not None:
            return got
        if isinstance(e, sympy.Integral):  # limits hold oo; the integrand is what matters
            got = (self.walk(e.function, i0)[0], False)
        elif not isinstance(e, sympy.Expr):  # relations, booleans, tuples: their expression parts
            got = (max((self.walk(a, i0)[0] for a in e.args), default=0), False)
        elif e.is_Atom:
            self.atom_ok(e, i0)
            got = (0, not e.is_Symbol)
        else:
            kids = [self.walk(a, i0) for a in e.args]
            depth = max(d for d, _ in kids)
            const = all(c for _, c in kids)
            if isinstance(e, _GROWTH) or (e.is_Pow and not self.const(e.exp)):
                depth += 1
                if depth > MAX_GROWTH:
                    raise self.fail(f"nests exp, sinh, cosh, gamma or powers with a variable exponent "
                                    f"{depth} deep (at most {MAX_GROWTH})", i0)
            elif e.is_Pow and not self.const(e.base):
                x = self.value(e.exp, i0)
                if abs(x) > MAX_POWER:
                    raise self.fail(f"has the exponent {_digits(x)} on a base with variables; at most "
                                    f"{MAX_POWER} in magnitude (a density never needs more)", i0)
            if const:
                self.constant_ok(e, i0)
            got = (depth, const)
        self.info[e] = got
        return got

    def atom_ok(self, e, i0):
        if e is sympy.nan:
            raise self.fail("is undefined (0/0)", i0)
        if e.is_infinite:
            raise self.fail("is infinite (a division by zero or a pole)", i0)
        if e is sympy.I:
            raise self.fail("is not real", i0)
        if e.is_Rational and max(abs(e.p), e.q).bit_length() > _EXACT_BITS:
            raise self.fail(f"is an exact number of more than {MAX_EXACT_DIGITS} digits", i0)
        if e.is_Float:
            self.constant_ok(e, i0)

    def value(self, e, i0):
        """mp value (30 digits) of a checked constant; sums and products from their parts."""
        v = self.vals.get(e)
        if v is None:
            try:
                with mp.workdps(30):
                    if e.is_Rational:
                        v = mp.mpf(e.p) / e.q
                    elif e.is_Add or e.is_Mul:
                        parts = [self.value(a, i0) for a in e.args]
                        v = mp.fsum(parts) if e.is_Add else mp.fprod(parts)
                    else:
                        re_, im_ = e.evalf(30).as_real_imag()
                        v = mp.mpc(mp.mpf(re_), mp.mpf(im_)) if im_ else mp.mpf(re_)
            except (TypeError, ValueError, ArithmeticError):
                raise self.fail("cannot be evaluated", i0) from None
            self.vals[e] = v
        return v

    def constant_ok(self, e, i0):
        if e.is_extended_real is False:
            raise self.fail("is not real", i0)
        v = self.value(e, i0)
        if isinstance(v, mp.mpc):
            if abs(v.imag) > mp.mpf(10) ** -20 * abs(v):
                raise self.fail("is not real", i0)
            v = self.vals[e] = v.real
        if not mp.isfinite(v):
            raise self.fail("is not finite", i0)
        if v and abs(mp.log10(abs(v))) > MAX_DIGITS:
            raise self.fail(f"is beyond 10^{'' if abs(v) > 1 else '-'}{MAX_DIGITS} in magnitude", i0)

    def power_ok(self, base, ex, i0):
        """Before sympy evaluates base^ex: its size from the values of the parts."""
        if not self.const(ex):
            return
        x = self.value(ex, i0)
        if self.const(base):
            b = self.value(base, i0)
            if b == 0:
                if x < 0:
                    raise self.fail("divides by zero", i0)
                return
            digits = abs(x) * abs(mp.log10(abs(b)))
            if digits > MAX_DIGITS:
                raise self.fail(f"is beyond 10^{'' if (x > 0) == (abs(b) > 1) else '-'}{MAX_DIGITS} in "
                                f"magnitude (about {_digits(digits)} digits)", i0)
            coeff = base
        else:
            if abs(x) > MAX_POWER:
                raise self.fail(f"has the exponent {_digits(x)} on a base with variables; at most "
                                f"{MAX_POWER} in magnitude (a density never needs more)", i0)
            coeff = base.as_coeff_Mul()[0]  # sympy distributes integer powers over it
        if coeff.is_Rational and ex.is_Rational and coeff not in (1, -1):
            exact = abs(x) * mp.log10(max(abs(coeff.p), coeff.q))
            if exact > MAX_EXACT_DIGITS:
                raise self.fail(f"would be an exact number of about {_digits(exact)} digits (at most "
                                f"{MAX_EXACT_DIGITS})", i0)

    def call_ok(self, name, fn, arg, i0):
        """Before sympy builds fn(constant): exp-type growth from the argument's value."""
        if not self.const(arg) or fn not in (sympy.exp, sympy.sinh, sympy.cosh, sympy.gamma):
            return
        x = self.value(arg, i0)
        digits = abs(x) * _LOG10_E if fn is not sympy.gamma else mp.loggamma(abs(x) + 1) * _LOG10_E
        if digits > MAX_DIGITS:
            small = x < 0 and fn in (sympy.exp, sympy.gamma)
            raise self.fail(f"is beyond 10^{'-' if small else ''}{MAX_DIGITS} in magnitude (about "
                            f"{_digits(digits)} digits)", i0)

    # -- the grammar
    def parse(self):
        if not self.toks:
            raise FormulaError("empty formula")
        e = self.expr()
        tok = self.peek()
        if tok is not None:
            hint = " (write '*' for multiplication)" if tok[0] in ("name", "number") or tok[1] == "(" else ""
            raise self.error(f"unexpected '{tok[1]}'{hint}", tok)
        return e

    def expr(self):
        self.enter()
        i0 = self.i
        e = self.term()
        while (tok := self.peek()) and tok[1] in "+-" and tok[0] == "op":
            self.i += 1
            rhs = self.term()
            e = self.node(e + rhs if tok[1] == "+" else e - rhs, i0)
        self.depth -= 1
        return e

    def term(self):
        i0 = self.i
        e = self.unary()
        while (tok := self.peek()) and tok[1] in ("*", "/"):
            self.i += 1
            j0 = self.i
            rhs = self.unary()
            if tok[1] == "/" and rhs == 0:
                raise self.fail("is zero (a division by zero)", j0)
            e = self.node(e * rhs if tok[1] == "*" else e / rhs, i0)
        return e

    def unary(self):
        tok = self.peek()
        if tok and tok[1] in ("-", "+"):
            i0 = self.i
            self.i += 1
            self.enter()
            v = self.unary()
            self.depth -= 1
            return self.node(-v, i0) if tok[1] == "-" else v
        return self.power()

    def power(self):
        i0 = self.i
        base = self.atom()
        tok = self.peek()
        if tok and tok[1] in ("^", "**"):
            self.i += 1
            self.enter()
            ex = self.unary()  # right-associative; allows 2^-1
            self.depth -= 1
            self.power_ok(base, ex, i0)
            return self.node(base ** ex, i0)
        return base

    def atom(self):
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end: a number, name or '(' is missing")
        kind, val, _ = tok
        i0 = self.i
        if kind == "number":
            self.i += 1
            v = _number(val)
            if v is None:
                raise self.fail(f"has an exponent beyond +-{MAX_LITERAL_EXPONENT}", i0)
            return self.node(v, i0)
        if val == "(":
            self.i += 1
            self.enter()
            e = self.expr()
            self.take(")")
            self.depth -= 1
            return e
        if kind == "name":
            self.i += 1
            nxt = self.peek()
            if val in self.functions:
                if not nxt or nxt[1] != "(":
                    raise self.error(f"function '{val}' needs parentheses", nxt)
                return self.call(val, tok)
            if nxt and nxt[1] == "(":
                raise self.error(f"'{val}' is not a function (write '*' for multiplication)", nxt)
            for table in (self.symbols, self.params, CONSTANTS):
                if val in table:
                    return self.node(table[val], i0)
            allowed = sorted(set(self.symbols) | set(self.params) | set(CONSTANTS) | set(self.functions))
            raise self.error(f"unknown name '{val}' (allowed: {', '.join(allowed)})", tok)
        raise self.error(f"unexpected '{val}'", tok)

    def call(self, name, tok):
        i0 = self.i - 1
        self.take("(")
        self.enter()
        args = [self.expr()]
        while self.peek() and self.peek()[1] == ",":
            self.i += 1
            args.append(self.expr())
        self.take(")")
        self.depth -= 1
        lo, hi, fn = self.functions[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            raise self.error(f"{name}() takes {want} argument(s), got {len(args)}", tok)
        if len(args) == 1:
            self.call_ok(name, fn, args[0], i0)
        return self.node(fn(*args), i0)


def _param_value(name, value):
    text = str(value).strip()
    v = _number(text.lstrip("+-")) if _LITERAL.fullmatch(text) else None
    if v is None:
        raise FormulaError(f"parameter {name} = {text[:40]!r} is not a number with an exponent within "
                           f"+-{MAX_LITERAL_EXPONENT}")
    return -v if text.startswith("-") else v


def parse_formula(text: str, variables=("w",), parameters: dict | None = None, functions: dict | None = None,
                  symbols: dict | None = None):
    """Parse `text` into a sympy expression in the real symbols `variables`, with the
    numeric `parameters` substituted exactly.  FormulaError on anything off the grammar or
    its bounds (module docstring).  `functions` adds whitelisted functions name -> (min
    args, max args, builder of sympy objects); `symbols` maps names to given sympy symbols
    (with their assumptions)."""
    if not isinstance(text, str):
        raise FormulaError("a formula must be a string")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula longer than {MAX_LENGTH} characters")
    if "__" in text:
        raise FormulaError(f"'__' not allowed at position {text.index('__')} in '{text}'")
    syms = {v: sympy.Symbol(v, real=True) for v in variables}
    syms.update(symbols or {})
    params = {k: _param_value(k, v) for k, v in (parameters or {}).items()}
    return _Parser(text.strip(), syms, params, functions).parse()


# ---------------------------------------------------------------- bounded mpmath evaluation
_SAT = mp.mpf(2) ** 20      # exp-type results beyond e^(+-2^20) saturate to inf or 0
_SAT_LOW = mp.mpf(2) ** 64  # but exp(-x) costs O(log x): e^-1e12 (mass at w ~ 1e6 seen from 0) stays exact
_POW = sympy.Function("_pow")
_ZERO, _ONE_MP = mp.mpf(0), mp.mpf(1)


def _bounded(f, limit, low, high, low_limit=None):
    """f(x) for -low_limit <= x <= limit (low_limit defaults to limit); beyond, the limit
    value of f (low for x < 0, high for x > 0)."""
    low_limit = limit if low_limit is None else low_limit

    def g(x):
        if isinstance(x, mp.mpc):
            return f(x) if abs(x) <= limit else mp.nan
        if -low_limit <= x <= limit or not mp.isfinite(x):
            return f(x)
        return high if x > 0 else low
    return g


def _trig(f):
    def g(x):  # beyond 2^prec the argument has no digits left below 2 pi
        return f(x) if mp.isnan(x) or mp.isinf(x) or mp.mag(x) <= mp.mp.prec else mp.nan
    return g


def _pow(b, e):
    """b^e for a variable exponent: saturates where |e log b| > 2^20."""
    b, e = mp.mpmathify(b), mp.mpmathify(e)
    if not (mp.isfinite(b) and mp.isfinite(e)):
        return b ** e
    if b == 0:
        return mp.nan if isinstance(e, mp.mpc) else _ZERO if e > 0 else _ONE_MP if e == 0 else mp.inf
    t = e * mp.log(b)  # complex when b < 0
    if isinstance(t, mp.mpc):
        return _ZERO if t.real < -_SAT else b ** e if abs(t) <= _SAT else mp.nan
    if t > _SAT:
        return mp.inf
    if t < -_SAT:
        return _ZERO
    if mp.mag(e) > mp.mp.prec + 64:  # then b = 1 (|log b| >= 2^-prec otherwise)
        return _ONE_MP
    return b ** e


MP_BOUNDED = {
    "exp": _bounded(mp.exp, _SAT, _ZERO, mp.inf, _SAT_LOW), "sinh": _bounded(mp.sinh, _SAT, -mp.inf, mp.inf),
    "cosh": _bounded(mp.cosh, _SAT, mp.inf, mp.inf), "tanh": _bounded(mp.tanh, _SAT, -_ONE_MP, _ONE_MP),
    "erf": _bounded(mp.erf, _SAT, -_ONE_MP, _ONE_MP),
    "erfc": _bounded(mp.erfc, 2 ** 10, mp.mpf(2), _ZERO),        # erfc(2^10) ~ e^(-2^20)
    "gamma": _bounded(mp.gamma, 2 ** 17, _ZERO, mp.inf),         # gamma(2^17) ~ 10^613836
    "sin": _trig(mp.sin), "cos": _trig(mp.cos), "tan": _trig(mp.tan), "_pow": _pow,
}


def bounded_powers(expr):
    """Powers with a non-numeric exponent as _pow(b, e), evaluated by MP_BOUNDED's _pow."""
    return expr.replace(lambda e: e.is_Pow and not e.exp.is_Number, lambda e: _POW(e.base, e.exp))


def lambdify_mp(args, expr, namespace=None):
    """sympy.lambdify for mpmath with the saturating functions above, so that the value at
    any point costs a bounded amount of work; `namespace` adds or overrides names."""
    return sympy.lambdify(args, bounded_powers(expr), modules=[{**MP_BOUNDED, **(namespace or {})}, "mpmath"])

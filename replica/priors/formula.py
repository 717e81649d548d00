"""A whitelist parser for user formulas (densities in w): text -> sympy expression.

Hand-written tokenizer and recursive-descent parser that build sympy objects directly;
user text never reaches eval, exec, sympify or parse_expr.

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("-" | "+") unary | power
    power  := atom (("^" | "**") unary)?          right-associative, binds tighter than unary minus
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"
"""
from __future__ import annotations

import re

import sympy

MAX_LENGTH = 2000
MAX_DEPTH = 100

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


class FormulaError(ValueError):
    """A formula outside the whitelist grammar; the message names the position."""


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
    mant, _, exp = tok.lower().partition("e")
    value = sympy.Rational(mant)  # exact: "0.1" -> 1/10
    return value * sympy.Integer(10) ** int(exp) if exp else value


class _Parser:
    def __init__(self, text, symbols, params, functions=None):
        self.text, self.symbols, self.params = text, symbols, params
        self.functions = {**FUNCTIONS, **(functions or {})}
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def error(self, msg, tok=None):
        tok = tok or self.peek()
        where = f"at position {tok[2]}" if tok else "at the end"
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return FormulaError(f"{msg} {where} in '{shown}'")

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
        e = self.term()
        while (tok := self.peek()) and tok[1] in "+-" and tok[0] == "op":
            self.i += 1
            rhs = self.term()
            e = e + rhs if tok[1] == "+" else e - rhs
        self.depth -= 1
        return e

    def term(self):
        e = self.unary()
        while (tok := self.peek()) and tok[1] in ("*", "/"):
            self.i += 1
            rhs = self.unary()
            e = e * rhs if tok[1] == "*" else e / rhs
        return e

    def unary(self):
        tok = self.peek()
        if tok and tok[1] in ("-", "+"):
            self.i += 1
            self.enter()
            v = self.unary()
            self.depth -= 1
            return -v if tok[1] == "-" else v
        return self.power()

    def power(self):
        base = self.atom()
        tok = self.peek()
        if tok and tok[1] in ("^", "**"):
            self.i += 1
            self.enter()
            ex = self.unary()  # right-associative; allows 2^-1
            self.depth -= 1
            return base ** ex
        return base

    def atom(self):
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end: a number, name or '(' is missing")
        kind, val, _ = tok
        if kind == "number":
            self.i += 1
            return _number(val)
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
            if val in self.symbols:
                return self.symbols[val]
            if val in self.params:
                return self.params[val]
            if val in CONSTANTS:
                return CONSTANTS[val]
            allowed = sorted(set(self.symbols) | set(self.params) | set(CONSTANTS) | set(self.functions))
            raise self.error(f"unknown name '{val}' (allowed: {', '.join(allowed)})", tok)
        raise self.error(f"unexpected '{val}'", tok)

    def call(self, name, tok):
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
        return fn(*args)


def _param_value(value):
    try:
        return sympy.Rational(str(value))
    except (TypeError, ValueError):
        return sympy.Float(str(value), 50)


def parse_formula(text: str, variables=("w",), parameters: dict | None = None, functions: dict | None = None,
                  symbols: dict | None = None):
    """Parse `text` into a sympy expression in the real symbols `variables`, with the
    numeric `parameters` substituted exactly.  FormulaError on anything off the grammar.
    `functions` adds whitelisted functions name -> (min args, max args, builder of sympy
    objects); `symbols` maps names to given sympy symbols (with their assumptions)."""
    if not isinstance(text, str):
        raise FormulaError("a formula must be a string")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula longer than {MAX_LENGTH} characters")
    if "__" in text:
        raise FormulaError(f"'__' not allowed at position {text.index('__')} in '{text}'")
    syms = {v: sympy.Symbol(v, real=True) for v in variables}
    syms.update(symbols or {})
    params = {k: _param_value(v) for k, v in (parameters or {}).items()}
    return _Parser(text.strip(), syms, params, functions).parse()

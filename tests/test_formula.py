"""The whitelist formula parser: correct trees, exact numbers, and refusal of anything else."""
from unittest import mock

import pytest
import sympy

from replica.priors.formula import FormulaError, parse_formula

W = sympy.Symbol("w", real=True)


@pytest.mark.parametrize("text, expected", [
    ("exp(-w^2/2)/sqrt(2*pi)", sympy.exp(-W**2 / 2) / sympy.sqrt(2 * sympy.pi)),
    ("-w^2", -W**2),
    ("2^3^2", sympy.Integer(512)),
    ("2^-1", sympy.Rational(1, 2)),
    ("w**2", W**2),
    ("8/4/2", sympy.Integer(1)),
    ("0.1", sympy.Rational(1, 10)),
    ("1e-3", sympy.Rational(1, 1000)),
    ("2.5E+2", sympy.Integer(250)),
    ("max(w, 0)*exp(-w)", sympy.Max(W, 0) * sympy.exp(-W)),
    ("min(w, 1, 2)", sympy.Min(W, 1)),
    ("heaviside(w)", sympy.Heaviside(W, sympy.Rational(1, 2))),
    ("abs(w) + e", sympy.Abs(W) + sympy.E),
])
def test_parses_to_the_expected_sympy_tree(text, expected):
    assert sympy.simplify(parse_formula(text) - expected) == 0


def test_parameters_are_exact_constants():
    e = parse_formula("exp(-w^2/(2*s^2))", parameters={"s": "0.5"})
    assert e == sympy.exp(-2 * W**2)


@pytest.mark.parametrize("text, fragment", [
    ("2w", "position 0"),
    ("2 w", "'*'"),
    ("w(1)", "not a function"),
    ("exp", "needs parentheses"),
    ("exp(w, 2)", "takes 1"),
    ("max(w)", "at least 2"),
    ("foo", "unknown name 'foo'"),
    ("(w", "expected ')'"),
    ("w)", "unexpected ')' at position 1"),
    ("1.2.3", "position 0"),
    ("", "empty"),
])
def test_errors_name_the_problem(text, fragment):
    with pytest.raises(FormulaError, match=None) as err:
        parse_formula(text)
    assert fragment in str(err.value)


@pytest.mark.parametrize("text", [
    "__import__('os').system('ls')", "w.__class__", "lambda: 1", "exec('1')", "import os",
    "eval(1)", "[1]", "w; 1", "'a'", "w if 1 else 0", "{w}", "w @ w", "open('x')",
])
def test_code_is_refused(text):
    with pytest.raises(FormulaError):
        parse_formula(text)


def test_size_and_depth_limits():
    with pytest.raises(FormulaError, match="deeper"):
        parse_formula("(" * 150 + "w" + ")" * 150)
    with pytest.raises(FormulaError, match="deeper"):
        parse_formula("-" * 300 + "w")
    with pytest.raises(FormulaError, match="longer"):
        parse_formula("w+" * 1500 + "w")


def test_never_calls_sympify_or_parse_expr():
    boom = mock.Mock(side_effect=AssertionError("sympify called"))
    with mock.patch("sympy.sympify", boom), mock.patch("sympy.parsing.sympy_parser.parse_expr", boom):
        parse_formula("exp(-w^4)*max(w, 0) + 0.25")
    boom.assert_not_called()

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


# ---------------------------------------------------------------- bounds: no unbounded work
import signal  # noqa: E402

import mpmath as mp  # noqa: E402

from replica.common.errors import UserError  # noqa: E402
from replica.priors.formula import lambdify_mp  # noqa: E402


@pytest.fixture
def alive():
    """Liveness guard only (generous): a refusal must come back, not hang or eat memory."""
    def stop(signum, frame):
        raise TimeoutError("no answer within 60 s")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("text, fragment", [
    ("9^9^9", "'9^9^9' is beyond 10^10000"),
    ("exp(-w^2)*9^9^9", "'9^9^9' is beyond 10^10000"),
    ("10**10**10", "'10**10**10' is beyond 10^10000"),
    ("2^(2^(2^(2^(2^5))))", "'2^(2^(2^5))' is beyond 10^10000"),
    ("exp(-w^2)^(2^(2^(2^(2^(2^5)))))", "'2^(2^(2^5))' is beyond 10^10000"),
    ("2^2^2^2^2", "'2^2^2^2^2' is beyond 10^10000"),
    ("pi^100000", "'pi^100000' is beyond 10^10000"),
    ("(1e-9*3)^2000", "is beyond 10^-10000"),
    ("w^(10^10)", "'w^(10^10)' has the exponent 1.0e+10"),
    ("exp(-w^(10^10))", "'w^(10^10)' has the exponent"),
    ("w^1e300", "'w^1e300' has the exponent"),
    ("w^-20000", "has the exponent"),
    ("w^9999*w^9999", "'w^9999*w^9999' has the exponent 2.0e+4"),
    ("(w^100)^101", "'(w^100)^101' has the exponent"),
    ("1e999999999", "'1e999999999' has an exponent beyond +-400"),
    ("1e-999999999", "'1e-999999999' has an exponent beyond +-400"),
    ("exp(-w^2)*1e999999999", "'1e999999999' has an exponent"),
    ("1e" + "9" * 1500, "has an exponent beyond"),
    ("1" * 600, "exact number of more than 500 digits"),
    ("(1+1e-400)^10000", "would be an exact number of about 4.0e+6 digits"),
    ("(1e300*w)^9999", "'(1e300*w)^9999' would be an exact number"),
    ("exp(exp(exp(exp(w))))", "'exp(exp(exp(w)))' nests exp"),
    ("gamma(gamma(gamma(w)))", "nests exp, sinh, cosh, gamma"),
    ("2^(2^(2^w))", "3 deep (at most 2)"),
    ("exp(1e300)", "'exp(1e300)' is beyond 10^10000"),
    ("exp(-30000)", "'exp(-30000)' is beyond 10^-10000"),
    ("e^(1e300)", "'e^(1e300)' is beyond 10^10000"),
    ("max(exp(1e10), w)", "'exp(1e10)' is beyond"),
    ("cosh(-1e5)", "'cosh(-1e5)' is beyond 10^10000"),
    ("gamma(1e5)", "'gamma(1e5)' is beyond 10^10000"),
])
def test_formula_bombs_are_refused_before_sympy_evaluates_them(text, fragment, alive):
    with pytest.raises(FormulaError) as err:
        parse_formula(text)
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("text, fragment", [
    ("(-1)^(1/3)", "'(-1)^(1/3)' is not real"),
    ("(-1)^(1/3)*exp(-w^2)", "'(-1)^(1/3)' is not real"),
    ("(-8)^(1/3)", "is not real"),
    ("sqrt(-1)", "'sqrt(-1)' is not real"),
    ("log(-1)", "'log(-1)' is not real"),
    ("sqrt(-w^2)", "'sqrt(-w^2)' is not real"),
    ("1/0", "'0' is zero (a division by zero)"),
    ("0/0", "'0' is zero"),
    ("exp(-w^2)*1/0", "'0' is zero"),
    ("w/(w-w)", "'(w-w)' is zero"),
    ("1/(sin(pi))", "'(sin(pi))' is zero"),
    ("0^(-1)", "'0^(-1)' divides by zero"),
    ("log(0)", "'log(0)' is infinite"),
    ("tan(pi/2)", "'tan(pi/2)' is infinite"),
    ("gamma(-1)", "'gamma(-1)' is infinite"),
])
def test_constants_must_be_real_and_finite(text, fragment, alive):
    with pytest.raises(FormulaError) as err:
        parse_formula(text)
    assert fragment in str(err.value)


def test_formula_errors_are_user_errors():
    assert issubclass(FormulaError, UserError)
    with pytest.raises(FormulaError, match="parameter s"):
        parse_formula("w*s", parameters={"s": "1e999999999"})
    with pytest.raises(FormulaError, match="parameter s"):
        parse_formula("w*s", parameters={"s": float("inf")})


def test_long_formulas_parse_in_bounded_time(alive):
    terms = [f"sqrt({k})" for k in range(1, 300)]
    text = "+".join(terms)[:1990].rsplit("+", 1)[0]
    assert parse_formula(text).is_number
    assert parse_formula("+".join(f"w^{k}" for k in range(1, 300))[:1990].rsplit("+", 1)[0]).is_polynomial()


MP_HEAVISIDE = {"Heaviside": lambda x, h=0.5: mp.mpf(1) if x > 0 else (mp.mpf(h) if x == 0 else mp.mpf(0))}


@pytest.mark.parametrize("text, expected", [
    ("exp(-w^4)", sympy.exp(-W**4)),
    ("w^2*exp(-w^2)", W**2 * sympy.exp(-W**2)),
    ("(1+w^2)^(-3)", (1 + W**2) ** -3),
    ("2^(-w^2)", 2 ** (-W**2)),
    ("sqrt(abs(w))*exp(-w^2)", sympy.sqrt(sympy.Abs(W)) * sympy.exp(-W**2)),
    ("erfc(w)", sympy.erfc(W)),
    ("heaviside(w)*exp(-w)", sympy.Heaviside(W, sympy.Rational(1, 2)) * sympy.exp(-W)),
    ("exp(w-exp(w))", sympy.exp(W - sympy.exp(W))),
    ("w^w*exp(-w)", W**W * sympy.exp(-W)),
])
def test_ordinary_formulas_parse_and_evaluate_as_before(text, expected):
    e = parse_formula(text)
    assert e == expected
    plain = sympy.lambdify(W, expected, modules=[MP_HEAVISIDE, "mpmath"])
    bounded = lambdify_mp(W, e, MP_HEAVISIDE)
    with mp.workdps(40):
        for x in ("0.3", "1.7", "2.5", "7", "0.01", "-0.4"):
            if text.startswith("w^w") and x.startswith("-"):
                continue
            a, b = plain(mp.mpf(x)), bounded(mp.mpf(x))
            assert a == b, (text, x, a, b)


def test_evaluation_saturates_instead_of_running_away(alive):
    """Expressions built without the parser (as sympy.diff or a derivation might): each value
    is a bounded amount of mpmath work; results beyond e^(+-2^20) are inf or 0."""
    cases = [
        (sympy.exp(sympy.exp(sympy.exp(W))), 50, mp.inf),
        (sympy.exp(-sympy.exp(sympy.exp(W))), 50, 0),
        (2 ** (2 ** W), 10 ** 6, mp.inf),
        (sympy.Rational(1, 2) ** sympy.exp(W), 50, 0),
        (W ** W, mp.mpf(10) ** 30, mp.inf),
        (sympy.erfc(sympy.exp(W)), 50, 0),
        (sympy.erf(-sympy.exp(W)), 50, -1),
        (sympy.tanh(sympy.exp(W)), 50, 1),
        (sympy.gamma(sympy.exp(W)), 50, mp.inf),
        (sympy.cosh(sympy.exp(W)), 50, mp.inf),
        (sympy.exp(W - sympy.exp(W)), 10 ** 60, 0),
    ]
    for expr, x, want in cases:
        assert lambdify_mp(W, expr)(mp.mpf(x)) == want, expr
    for expr in (sympy.sin(sympy.exp(sympy.exp(W))), sympy.tan(sympy.exp(W) ** 9999)):
        assert mp.isnan(lambdify_mp(W, expr)(mp.mpf(50)))
    # inside the range the values are mpmath's own
    assert lambdify_mp(W, sympy.exp(W))(mp.mpf(1000)) == mp.exp(1000)
    assert lambdify_mp(W, 3 ** W)(mp.mpf("2.5")) == mp.mpf(3) ** mp.mpf("2.5")


@pytest.mark.parametrize("spec, fragment", [
    ("density:expr=exp(-w^2)*9^9^9", "'9^9^9' is beyond"),
    ("density:expr=exp(-w^2)*1e999999999", "'1e999999999' has an exponent"),
    ("density:expr=exp(-w^(10^10))", "'w^(10^10)' has the exponent"),
    ("density:expr=(-1)^(1/3)*exp(-w^2)", "is not real"),
    ("density:expr=exp(exp(w))", "not normalisable"),
    ("density:expr=sin(exp(exp(w)))*exp(-w^2)", "is negative at"),
    ("geometry:potential=user(grad=w*9^9^9),init=gaussian,dual_std=0.3", "'9^9^9' is beyond"),
])
def test_priors_with_bombs_are_refused(spec, fragment, alive):
    from replica.priors import PriorError, prior
    with pytest.raises(PriorError) as err:
        prior(spec)
    assert fragment in str(err.value)


def test_cli_one_line_errors(tmp_path, capsys, alive):
    from replica.cli import main
    for argv in (["priors", "density:expr=exp(-w^2)*9^9^9"], ["priors", "density:expr=exp(-w^2)*1e999999999"]):
        with pytest.raises(SystemExit) as ex:
            main(argv)
        err = capsys.readouterr().err
        assert ex.value.code == 2 and err.startswith("replica: error:") and err.count("\n") == 1
    f = tmp_path / "eq.txt"
    for line, fragment in [("G_S = 1/0", "'0' is zero"), ("G_S = 0*9^9^9 + q", "'9^9^9' is beyond"),
                           ("G_S = q*1e999999999999", "has an exponent beyond")]:
        f.write_text(line + "\n")
        with pytest.raises(SystemExit) as ex:
            main(["check", str(f), "--prior", "gaussian"])
        err = capsys.readouterr().err
        assert ex.value.code == 2 and fragment in err and err.count("\n") == 1

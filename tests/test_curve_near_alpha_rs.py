"""curve() near alpha_rs of a continuous prior: the discretised prior has its own alpha_rs,
below E3's, so q is solved with enough nodes or reported as not resolved; 'beyond alpha_rs'
is said only past the exact E3 value.  Reference q(alpha) for the Gaussian prior from the
spherical closed form alpha(q) = q / (2 (1 - q)^2) / (-G_E'(q)), kappa = 0, solved
independently by bisection in mpmath (Gardner 1988; THEORY.md E1-E2)."""
import math

import pytest

import replica
from replica.capacity import curve

REFERENCE_Q = {1.9: 0.9708749175, 1.95: 0.9860941476, 1.98: 0.9946559434}


@pytest.mark.parametrize("alphas", [[1.9, 1.95], pytest.param([1.98], marks=pytest.mark.slow)])
def test_q_near_alpha_rs_is_within_its_error(alphas):
    """1.95 needs 128-256 nodes, 1.98 256-512 (about 20 s: slow)."""
    pts = curve(replica.prior("gaussian"), 0.0, alphas)
    for pt in pts:
        assert pt.status == "ok", pt.status
        assert pt.q_error < 1e-3
        # q_error (n vs 2n nodes) bounds the error of the 2n value reported
        assert abs(pt.q - REFERENCE_Q[pt.alpha]) <= pt.q_error, (pt.alpha, pt.q, pt.q_error)


def test_unresolved_and_beyond_are_said_not_guessed():
    near, beyond = curve(replica.prior("gaussian"), 0.0, [1.995, 2.5])
    assert near.status.startswith("not resolved") and math.isnan(near.q)
    assert beyond.status.startswith("beyond alpha_rs = 2 ") and beyond.q == 1.0


def test_long_curves_report_progress_and_huge_ones_are_refused(capsys):
    from replica.cli import main
    seen = []
    curve(replica.prior("binary"), 0.0, [0.2, 0.4, 0.6], progress=lambda k, n: seen.append((k, n)))
    assert seen == [(0, 3), (1, 3), (2, 3)]
    with pytest.raises(SystemExit) as ex:
        main(["curve", "--prior", "gaussian", "--alpha", "0:1.5:3000"])
    assert ex.value.code == 2 and "at most 2000 values" in capsys.readouterr().err

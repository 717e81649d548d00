"""tramp's state evolution for the Bayes-optimal teacher-student perceptron, as JSON.

Run inside the tramp virtualenv (benchmarks/peer/install_tramp.sh), not the project's python:

    /work/venv-tramp/bin/python benchmarks/peer/tramp_se.py [--alphas 0.5,1,2,4,8] [--repeat 3]

Model: x ~ prior (i.i.d.), z = F x with F Marchenko-Pastur at alpha = M/N, y = sgn(z), no
noise; the student is the same model (Bayes-optimal), so SE runs on the Nishimori line.
tramp's `glm_state_evolution` builds it; SE tracks v = E (x - <x>)^2 and with tau = E x^2,
m = q = tau - v.  Every prior here has tau = 1, matching replica's normalisation E w^2 = 1.
eps_g = arccos(sqrt(q / tau)) / pi (the posterior-mean student, THEORY.md sec. 3).
"""
import argparse
import json
import math
import platform
import time

import networkx
import numpy
import scipy
from tramp.algos import CustomInit, EarlyStopping, StateEvolution
from tramp.models import glm_state_evolution

# name -> glm_state_evolution kwargs; gauss_bernoulli: rho = fraction of nonzeros
PRIORS = {
    "gaussian": dict(prior_type="gaussian", prior_mean=0.0, prior_var=1.0),
    "binary": dict(prior_type="binary", prior_p_pos=0.5),
    "gauss_bernoulli": dict(prior_type="gauss_bernoulli", prior_rho=0.5, prior_mean=0.0, prior_var=2.0),
}


def se_point(prior, alpha, tol, max_iter, a0):
    model = glm_state_evolution(alpha=alpha, output_type="sgn", **PRIORS[prior])
    se = StateEvolution(model)
    # a0 > 0 on z's backward messages: with all a = 0 the sgn likelihood sees exactly
    # az = 1/tau_z and asserts; q = 0 is an unstable fixed point, so a seed is needed
    init = CustomInit(a_init=[("z", "bwd", a0)])
    se.iterate(max_iter=max_iter, callback=EarlyStopping(tol=tol), initializer=init)
    v = float(se.get_variable_data(id="x")["v"])
    tau = float(model.get_second_moments()["x"])
    return v, tau, se.n_iter


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--priors", default=",".join(PRIORS))
    ap.add_argument("--alphas", default="0.5,1,2,4,8")
    ap.add_argument("--tol", type=float, default=1e-12, help="EarlyStopping tol on |dv| (tramp default 1e-6)")
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--a0", type=float, default=1e-3, help="seed precision on z's backward messages")
    ap.add_argument("--repeat", type=int, default=3, help="time per point = best (wall and CPU) of this many runs")
    args = ap.parse_args()
    points = []
    for prior in args.priors.split(","):
        for alpha in [float(a) for a in args.alphas.split(",")]:
            best, cpu = math.inf, math.inf
            for _ in range(args.repeat):
                t, c = time.perf_counter(), time.process_time()
                v, tau, n_iter = se_point(prior, alpha, args.tol, args.max_iter, args.a0)
                best = min(best, time.perf_counter() - t)
                cpu = min(cpu, time.process_time() - c)   # CPU time: robust to other load on the cores
            q = tau - v
            r = min(1.0, max(0.0, q / tau)) ** 0.5
            points.append(dict(prior=prior, alpha=alpha, m=q, q=q, v=v, tau=tau,
                               eps_g=math.acos(r) / math.pi, n_iter=n_iter,
                               converged=n_iter < args.max_iter, time_s=best, cpu_s=cpu))
    meta = dict(tol=args.tol, max_iter=args.max_iter, a0=args.a0, repeat=args.repeat,
                python=platform.python_version(), numpy=numpy.__version__, scipy=scipy.__version__,
                networkx=networkx.__version__)
    print(json.dumps(dict(meta=meta, points=points), indent=1))


if __name__ == "__main__":
    main()

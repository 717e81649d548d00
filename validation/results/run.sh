#!/usr/bin/env bash
# Regenerates every table and figure in validation/results/ (records are resumable:
# a rerun reuses the finished samples in the .jsonl files).  Times: 2 cores, see README.md.
set -euo pipefail
cd "$(dirname "$0")"
V="replica validate"
cap() {  # name, then validate arguments
  local name=$1; shift
  $V capacity "$@" --out "$name.jsonl" --table "$name.md" --figure "$name.png" --quiet
}
# capacity at kappa = 0 (E3)
cap capacity_gaussian  --prior gaussian  --n 50,100,200 --alpha 1.6:2.4:9 --samples 100
cap capacity_sign      --prior sign      --n 50,100,200 --alpha 0.8:1.2:9 --samples 100
cap capacity_lognormal --prior lognormal:sigma=1 --n 50,100,200 --alpha 0.55:0.9:8 --samples 48 --sweeps 40000
cap capacity_rectified --prior rectified --n 50,100,200,400 --alpha 0.8:1.15:8 --samples 48 --sweeps 40000
cap capacity_ei        --prior ei:fE=0.8,sigmaE=1,sigmaI=1 --n 50,100,200 --alpha 0.36:0.64:8 --samples 48 --sweeps 40000
# the rectified finite-N crossing bracketed: more annealing effort (from below) and the LP relaxation (from above)
$V capacity --prior rectified --n 50,100 --alpha 0.85:1.1:6 --samples 48 --sweeps 160000 --out capacity_rectified_long.jsonl --table capacity_rectified_long.md --quiet
R="--prior rectified --samples 48 --sweeps 40000 --restarts 4 --out capacity_rectified_restarts.jsonl"
$V capacity $R --n 50,100 --alpha 0.8:1.15:8 --quiet > /dev/null
$V capacity $R --n 200 --alpha 0.9,0.95,1.0,1.05 --quiet > /dev/null
$V capacity $R --n 50,100,200 --alpha 0.8:1.15:8 --recorded-only --table capacity_rectified_restarts.md
$V capacity --prior rectified --trainer relaxation --n 50,100 --alpha 0.8:1.15:8 --samples 48 --out capacity_rectified_relaxation.jsonl --table capacity_rectified_relaxation.md --quiet
# control with a known limit: Gaussian targets under the same annealer (E3 = 2, as for spherical weights);
# N = 400 only near its crossing, then one table of all records
G="--prior gaussian --trainer permutation --samples 48 --sweeps 40000 --out capacity_gaussian_perm.jsonl"
$V capacity $G --n 50,100,200 --alpha 1.6:2.2:7 --quiet > /dev/null
$V capacity $G --n 400 --alpha 1.9:2.0:3 --quiet > /dev/null
$V capacity $G --n 50,100,200,400 --alpha 1.6,1.7,1.8,1.9,1.95,2.0,2.1,2.2 --recorded-only --table capacity_gaussian_perm.md --figure capacity_gaussian_perm.png
# points of kappa*(alpha): the crossing at margin kappa (storage annealer / QP)
cap capacity_k04_lognormal --prior lognormal:sigma=1 --kappa 0.4 --n 50,100,200 --alpha 0.29:0.53:7 --samples 48 --sweeps 40000
cap capacity_k04_rectified --prior rectified --kappa 0.4 --n 50,100,200 --alpha 0.43:0.67:7 --samples 48 --sweeps 40000
cap capacity_k04_ei        --prior ei:fE=0.8,sigmaE=1,sigmaI=1 --kappa 0.4 --n 50,100,200,400 --alpha 0.16:0.36:6 --samples 48 --sweeps 40000
cap capacity_k08_rectified --prior rectified --kappa 0.8 --n 50,100,200 --alpha 0.22:0.43:7 --samples 48 --sweeps 40000
cap capacity_k08_lognormal --prior lognormal:sigma=1 --kappa 0.8 --n 50,100,200 --alpha 0.15:0.36:7 --samples 48 --sweeps 40000
E="--prior ei:fE=0.8,sigmaE=1,sigmaI=1 --kappa 0.8 --samples 48 --sweeps 40000 --out capacity_k08_ei.jsonl"
$V capacity $E --n 50,100,200 --alpha 0.08:0.26:7 --quiet > /dev/null
$V capacity $E --n 400 --alpha 0.11:0.23:5 --quiet > /dev/null
$V capacity $E --n 800 --alpha 0.13:0.19:5 --quiet > /dev/null
$V capacity $E --n 50,100,200,400,800 --alpha 0.08,0.11,0.13,0.14,0.145,0.16,0.17,0.175,0.19,0.2,0.23,0.26 --recorded-only --table capacity_k08_ei.md --figure capacity_k08_ei.png
# per-sample max margin kappa*(alpha): exact QP (spherical, sign) and the ratchet's lower bound (distribution constraints)
kap() { local name=$1; shift; $V kappa "$@" --out "$name.jsonl" --table "$name.md" --figure "$name.png" --quiet; }
kap kappa_gaussian  --prior gaussian --n 50,100,200 --alpha 0.25:1.5:6 --samples 48
kap kappa_sign      --prior sign --n 50,100,200 --alpha 0.2:0.8:4 --samples 48
kap kappa_lognormal --prior lognormal:sigma=1 --n 50,100,200 --alpha 0.2:0.6:3 --samples 32 --sweeps 20000
# DisCo-SGD (the paper's trainer, untuned schedule) next to the annealer, N = 100
cap capacity_disco_lognormal --prior lognormal:sigma=1 --trainer disco --n 100 --alpha 0.2:0.8:7 --samples 32 --sweeps 6000
# teacher-student
ts() { local name=$1; shift; $V teacher-student "$@" --out "$name.jsonl" --table "$name.md" --figure "$name.png" --quiet; }
ts ts_maxmargin_gaussian  --teacher gaussian --student spherical --n 50,100,200 --alpha 0.5,1,2,4 --samples 32
ts ts_maxmargin_lognormal --teacher lognormal:sigma=1 --student spherical --student sign --student lognormal:sigma=1 --n 50,100,200 --alpha 0.5,1,2,4 --samples 24 --sweeps 10000
ts ts_gibbs_gaussian      --teacher gaussian --student spherical --rule gibbs --n 50,100,200 --alpha 0.5,1,2,4 --samples 32 --sweeps 2000
ts ts_gibbs_lognormal     --teacher lognormal:sigma=1 --student lognormal:sigma=1 --rule gibbs --n 50,100,200 --alpha 0.5,1,2 --samples 16 --sweeps 1000
ts ts_gibbs_sign_lognormal --teacher lognormal:sigma=1 --student sign --rule gibbs --n 50,100,200 --alpha 0.5,1,2,4 --samples 24 --sweeps 2000
# the optimal student prior at small alpha (theory: sigma_S = 0.417 at alpha = 0.1, eps_g 0.2788 against 0.3063 matched)
ts ts_maxmargin_optimal   --teacher lognormal:sigma=1 --student lognormal:sigma=1 --student lognormal:sigma=0.417 --n 100,200,400 --alpha 0.1 --samples 64 --sweeps 10000

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
cap capacity_rectified --prior rectified --n 50,100,200 --alpha 0.8:1.15:8 --samples 48 --sweeps 40000
cap capacity_ei        --prior ei:fE=0.8,sigmaE=1,sigmaI=1 --n 50,100,200 --alpha 0.36:0.64:8 --samples 48 --sweeps 40000

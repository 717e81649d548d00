#!/usr/bin/env bash
# Install the peer solver tramp (sphinxteam/tramp) into its own virtualenv, patched to run
# on current Python/networkx (see README.md here). Never touches the project's environment.
#
#   bash benchmarks/peer/install_tramp.sh
#
# Env: TRAMP_SRC (checkout, default /work/tramp-src), TRAMP_VENV (default /work/venv-tramp),
#      TRAMP_REPO (where to clone from if TRAMP_SRC is absent; default the GitHub repository),
#      PYTHON (interpreter for the venv, default python3; tested with 3.11.7).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="${TRAMP_SRC:-/work/tramp-src}"
VENV="${TRAMP_VENV:-/work/venv-tramp}"
REPO="${TRAMP_REPO:-https://github.com/sphinxteam/tramp}"
PY="${PYTHON:-python3}"
COMMIT=219479625089d70e044637edb81044c936805808   # tramp master, "save phase retrieval ep"

if [ ! -d "$SRC/.git" ]; then
    git clone "$REPO" "$SRC"
fi
# the patch is against this commit; a dirty tree means it is already applied (checked below)
if git -C "$SRC" diff --quiet; then
    git -C "$SRC" checkout -q "$COMMIT"
fi
if git -C "$SRC" apply --check "$HERE/tramp.patch" 2>/dev/null; then
    git -C "$SRC" apply "$HERE/tramp.patch"
elif git -C "$SRC" apply -R --check "$HERE/tramp.patch" 2>/dev/null; then
    echo "tramp.patch already applied in $SRC"
else
    echo "tramp.patch does not apply to $SRC (expected commit $COMMIT)" >&2
    exit 1
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# the versions this comparison was run with; tramp itself pins nothing now but networkx>=2
"$VENV/bin/pip" install -q numpy==2.4.6 scipy==1.17.1 pandas==3.1.1 matplotlib==3.11.2 networkx==3.6.1
"$VENV/bin/pip" install -q --no-deps "$SRC"
# smoke test from outside the checkout, so the installed copy is the one imported
(cd / && "$VENV/bin/python" -c "import tramp.experiments, tramp.models, tramp.algos; print('tramp installed:', tramp.__file__)")

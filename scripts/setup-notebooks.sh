#!/usr/bin/env bash
# Creates the virtual environment the notebooks run in, `.venv/` at the repository root, and
# installs notebooks/requirements.txt into it — for tests/notebooks.rs, which then runs
# `.venv/bin/jupyter execute` on both notebooks. Idempotent: a stamp inside .venv holds the
# hash of the requirements last installed, so a rerun with an unchanged file installs nothing.
# Registers nothing outside .venv (no user kernel spec, no global packages). Works from any
# directory. Set PYTHON to choose the interpreter (default: python3). Prints where `jupyter` is.
#
# With --lab, installs notebooks/requirements-lab.txt instead: the same packages plus
# JupyterLab, for `.venv/bin/jupyter lab notebooks/` (the headless set has no `jupyter lab`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

req=notebooks/requirements.txt
tool=jupyter
case "${1:-}" in
  "") ;;
  --lab) req=notebooks/requirements-lab.txt; tool=jupyter-lab ;;
  *) echo "usage: $0 [--lab]" >&2; exit 2 ;;
esac
venv=.venv
stamp=$venv/.notebooks-requirements.sha256
python=${PYTHON:-python3}

# The stamp covers every requirements file involved (the lab file includes the base one).
if command -v sha256sum >/dev/null 2>&1; then
  hash=$(cat "$req" notebooks/requirements.txt | sha256sum | cut -d' ' -f1)
else
  hash=$(cat "$req" notebooks/requirements.txt | shasum -a 256 | cut -d' ' -f1)
fi

if [ ! -x "$venv/bin/python" ]; then
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "notebooks: no Python interpreter '$python' (set PYTHON)" >&2
    exit 1
  fi
  echo "notebooks: creating $root/$venv with $("$python" --version 2>&1)"
  if ! "$python" -m venv "$venv"; then
    rm -rf "$venv"
    echo "notebooks: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -x "$venv/bin/$tool" ]; then
  echo "notebooks: $venv already satisfies $req"
else
  echo "notebooks: installing $req into $venv"
  rm -f "$stamp"
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --retries 2 --timeout 30 -r "$req"; then
    echo "notebooks: pip could not install $req (no network to PyPI?)" >&2
    exit 1
  fi
  echo "$hash" >"$stamp"
fi

echo "jupyter: $root/$venv/bin/jupyter"
if [ "$tool" = jupyter-lab ]; then echo "open the notebooks with: $venv/bin/jupyter lab notebooks/"; fi

#!/usr/bin/env bash
# Installs the PyTorch reference the train-step bench compares against, as pip users have it: Debian's python3-torch
# with Intel MKL as its BLAS (non-free libmkl-rt). Debian 12; needs root. The bench finds it through bench/.mkl/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! apt-cache policy libmkl-rt | grep -q 'Candidate: [0-9]'; then
  cat > /etc/apt/sources.list.d/debian-nonfree.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -q
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-torch libmkl-rt
# python3-torch links the generic libblas.so.3; a folder where that name points at MKL makes it use MKL.
mkdir -p "$here/.mkl"
ln -sf /usr/lib/x86_64-linux-gnu/libmkl_rt.so "$here/.mkl/libblas.so.3"
ln -sf /usr/lib/x86_64-linux-gnu/libmkl_rt.so "$here/.mkl/liblapack.so.3"
echo "PyTorch reference ready: LD_LIBRARY_PATH=$here/.mkl MKL_THREADING_LAYER=GNU /usr/bin/python3 bench/python/train_step_reference.py lora 64"

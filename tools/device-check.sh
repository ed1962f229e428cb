#!/usr/bin/env bash
# The cuda backend's checks on a GPU machine, in one call of a few minutes. Run by hand
# (or through the device tool) on a machine with an NVIDIA GPU; never in CI.
#
#   tools/device-check.sh kernels   the cuda tests, the op suite (cuda against the
#                                   reference, the same budgets as every backend) and the
#                                   layer benchmarks at gemma-2b/7b shapes with the device's
#                                   measured cuBLASLt bf16 peak and copy bandwidth
#   tools/device-check.sh model     the real Gemma 3 270M: logits against transformers'
#                                   goldens (f32, bf16), PIQA (all) and HellaSwag (1,000
#                                   documents) scored and compared with onednn's reports
#                                   made on a CPU, pp512/tg128 and the model benchmarks,
#                                   and transformers + PyTorch on the same requests
#   tools/device-check.sh all       both
#
# What it needs, in $GEMMETER_DEVICE_DIR (default .device, beside the sources; a bare
# device machine has none of Debian's packages, so the binaries come built):
#   bin/   gemmeter, gemmeter_bench, test_cuda, test_op_suite, test_gemma3_270m
#          (a build with -Dcuda=enabled; tools/device-pack.sh copies them)
#   lib/   the shared libraries they need that the machine lacks (fmt, sentencepiece, ...)
#   data/  piqa/ and hellaswag/ as in the datasets folder
#   refs/  onednn's reports of the same tasks: piqa.onednn.native.json,
#          hellaswag1000.onednn.native.json
#   model.gguf  the default model (Gemma 3 270M Q4_K_M)
# Results go to $OUT (default /tmp/device-check): device-check.log and a few JSON reports.
# A rehearsal on a CPU (to check the script before spending device time):
#   GEMMETER_CHECK_BACKEND=onednn GEMMETER_CHECK_DOCS=20 \
#     GEMMETER_CHECK_SKIP="logits_vs_transformers model_benchmarks" tools/device-check.sh model
# runs the other model steps on that backend with 20 documents per task.
set -uo pipefail

stage=${1:-all}
dev=$(realpath "${GEMMETER_DEVICE_DIR:-.device}")
out=${OUT:-/tmp/device-check}
mkdir -p "$out"
log="$out/device-check.log"
bin="$dev/bin"
work=$(mktemp -d)

# cuBLASLt from the machine's CUDA (the toolkit or PyTorch's wheels), the rest from lib/.
cublas=$(find /usr/local/cuda*/ /usr/lib /opt -name 'libcublasLt.so.13*' 2>/dev/null | head -1)
export LD_LIBRARY_PATH="$dev/lib${cublas:+:$(dirname "$cublas")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export GEMMETER_MODEL="$dev/model.gguf"
# The model travels in xz parts (device-pack.sh --model): join them once.
if [ ! -f "$GEMMETER_MODEL" ] && ls "$dev"-model-*/model.gguf.xz.* >/dev/null 2>&1; then
  # In the order of their numbered names (model.gguf.xz.00, .01, ...), whatever folder.
  cat $(ls "$dev"-model-*/model.gguf.xz.* | awk -F/ '{print $NF, $0}' | sort | cut -d' ' -f2) |
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)' \
    >"$GEMMETER_MODEL.tmp" && mv "$GEMMETER_MODEL.tmp" "$GEMMETER_MODEL"
fi
export GEMMETER_DATASETS="$dev/data"

# The test binaries find their fixtures under the source folder they were built in
# (device-pack.sh wrote it down); point that path at this checkout.
root=$(cd "$(dirname "$0")/.." && pwd)
built_in=$(cat "$dev/source_root" 2>/dev/null)
if [ -n "$built_in" ] && [ ! -e "$built_in" ]; then
  mkdir -p "$(dirname "$built_in")" && ln -s "$root" "$built_in"
fi
[ -d "$dev/lib" ] || tar -xJf "$dev/lib.tar.xz" -C "$dev"

backend=${GEMMETER_CHECK_BACKEND:-cuda}
docs=${GEMMETER_CHECK_DOCS:-0}               # PIQA documents; 0: all
hellaswag_docs=${GEMMETER_CHECK_DOCS:-1000}
failed=()
# step NAME COMMAND...: runs it, its output into the log; a failure is recorded, not fatal.
# Steps named in $GEMMETER_CHECK_SKIP (space-separated) are left out (rehearsals).
step() {
  local name=$1
  shift
  if [[ " ${GEMMETER_CHECK_SKIP:-} " == *" $name "* ]]; then
    echo "=== $name: skipped (GEMMETER_CHECK_SKIP)" | tee -a "$log"
    return
  fi
  echo "=== $name: $*" | tee -a "$log"
  local start=$SECONDS
  "$@" >>"$log" 2>&1
  local rc=$?
  echo "=== $name: exit $rc after $((SECONDS - start)) s" | tee -a "$log"
  [ $rc -eq 0 ] || failed+=("$name")
}

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
  echo "cuBLASLt: ${cublas:-not found}"
  ldd "$bin"/* | grep 'not found' | sort -u
} >>"$log" 2>&1

if [ "$stage" = kernels ] || [ "$stage" = all ]; then
  step cuda_tests "$bin/test_cuda"
  step op_suite "$bin/test_op_suite" "every backend matches the reference on every op case"
  # Matmuls at the 2B and 7B models' shapes (decode rows, 512 and 4096-row prefills),
  # attention, and the other layers at one size; *_frac counters are against the device's
  # measured peaks (context: cuda_peak_bf16_gflops, cuda_copy_bandwidth_gbs).
  step kernel_benchmarks "$bin/gemmeter_bench" --report "$out/bench-kernels.json" \
    --benchmark_filter='^(matmul/cuda/[a-z0-9]+/gemma-(2b|7b)/|attention/cuda/|(rms_norm|geglu|rope|add)/cuda/f32/gemma-2b/|log_softmax_gather/cuda/)'
fi

if [ "$stage" = model ] || [ "$stage" = all ]; then
  step logits_vs_transformers "$bin/test_gemma3_270m"
  for weights in bf16 f32; do
    step "piqa_$weights" "$bin/gemmeter" eval --backend "$backend" --weights "$weights" \
      --tasks piqa --limit "$docs" --log-samples -o "$work/piqa.cuda.$weights.json"
    step "piqa_${weights}_vs_onednn" "$bin/gemmeter" compare evals --no-text \
      "$dev/refs/piqa.onednn.native.json" "$work/piqa.cuda.$weights.json"
  done
  step hellaswag_bf16 "$bin/gemmeter" eval --backend "$backend" --weights bf16 --tasks hellaswag \
    --limit "$hellaswag_docs" -o "$work/hellaswag1000.cuda.bf16.json"
  step hellaswag_vs_onednn "$bin/gemmeter" compare evals --no-text \
    "$dev/refs/hellaswag1000.onednn.native.json" "$work/hellaswag1000.cuda.bf16.json"
  cp "$work"/piqa.cuda.bf16.json "$work"/hellaswag1000.cuda.bf16.json "$out"/ 2>/dev/null
  step pp512_tg128 "$bin/gemmeter" bench --backend "$backend" --weights bf16
  step model_benchmarks "$bin/gemmeter_bench" --report "$out/bench-model.json" \
    --benchmark_filter="^model/$backend/bf16/"
  # transformers + PyTorch (bf16) on the same PIQA requests: accuracy and throughput.
  step transformers_piqa env PYTHONUNBUFFERED=1 python3 "$(dirname "$0")/hf_score.py" \
    --report "$work/piqa.cuda.bf16.json" --gguf "$GEMMETER_MODEL" --dtype bf16 --batch-size 32 --also-batch1 \
    --out "$out/hf-piqa.json"
fi

rm -rf "$work"
if [ ${#failed[@]} -eq 0 ]; then
  echo "device check ($stage): every step passed" | tee -a "$log"
else
  echo "device check ($stage): FAILED: ${failed[*]}" | tee -a "$log"
  exit 1
fi

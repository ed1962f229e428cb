# Sourced by the command-line tests that run the default model on the datasets:
#   source "$(dirname "$0")/needs_model_and_data.sh" "$@"
# sets `gemmeter` ($1) and `data` ($GEMMETER_DATASETS, else $2), defines `skip WHY` (exit
# 77: Meson's "skipped"), and skips without the datasets or the default model.
gemmeter="$1"
data="${GEMMETER_DATASETS:-$2}"
skip() { echo "skipping: $*"; exit 77; }
[[ -d "$data/piqa" ]] || skip "no datasets at $data"
"$gemmeter" info >/dev/null 2>&1 || skip "the default model is not installed (tools/setup.sh)"

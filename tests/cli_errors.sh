#!/usr/bin/env bash
# The gemmeter command on bad input: each case must exit with status 1 (an error, not a
# signal) and print a message naming what is wrong.
set -u
gemmeter="$1"
fixtures="$2"
source "$(dirname "$0")/scratch.sh"

# expect_error STATUS PATTERN -- ARGS...: runs gemmeter ARGS, checks status and stderr.
expect_error() {
  local want_status="$1" pattern="$2"
  shift 3
  local err status
  err="$("$gemmeter" "$@" 2>&1 >/dev/null)"
  status=$?
  if [[ $status -ne $want_status ]] || ! grep -qF -- "$pattern" <<<"$err"; then
    echo "FAIL: gemmeter $*"
    echo "  wanted status $want_status and a message containing: $pattern"
    echo "  got status $status: $err"
    failures=$((failures + 1))
  else
    echo "ok: gemmeter $* -> $status: $(head -1 <<<"$err")"
  fi
}

cp -r "$fixtures/gemma-mqa" "$tmp/truncated"
truncate -s 3000 "$tmp/truncated/model.safetensors"
cp -r "$fixtures/gemma-mqa" "$tmp/badtype"
sed -i 's/"model_type": "gemma"/"model_type": "mamba"/' "$tmp/badtype/config.json"

printf 'GGML not really a model' > "$tmp/fake.gguf"

expect_error 1 "no such file or folder" -- forward --model "$tmp/absent" --tokens 2
expect_error 1 "not a GGUF file" -- run --model "$tmp/fake.gguf" --prompt hi
expect_error 1 "no tokenizer.model" -- run --model "$fixtures/gemma-mqa" --prompt hi
expect_error 1 "give exactly one of --text or --input" -- tokenize --model "$fixtures/gemma-mqa"
expect_error 105 "--temperature" -- run --prompt hi --temperature -1
expect_error 1 "truncated" -- forward --model "$tmp/truncated" --tokens 2
expect_error 1 '"model_type" is "mamba"' -- info --model "$tmp/badtype"
expect_error 1 "outside the vocabulary" -- forward --model "$fixtures/gemma-mqa" --tokens 2,999999
expect_error 1 '"x" is not a non-negative token id' -- forward --model "$fixtures/gemma-mqa" --tokens 2,x
expect_error 1 "unknown backend 'tpu'" -- forward --model "$fixtures/gemma-mqa" --tokens 2 --backend tpu
expect_error 1 '"f8" is not one of native, f32, bf16' -- forward --model "$fixtures/gemma-mqa" --tokens 2 --weights f8
# Flag errors come from the parser: a non-zero status and the offending flag named.
expect_error 109 "--bogus" -- forward --model "$fixtures/gemma-mqa" --tokens 2 --bogus
expect_error 106 "A subcommand is required" --
expect_error 106 "--tokens is required" -- forward --model "$fixtures/gemma-mqa"
expect_error 106 "--prompt is required" -- run
expect_error 1 "unknown task 'winogrande'" -- eval --tasks piqa,winogrande
expect_error 1 "--limit must be 0 (all) or positive" -- eval --limit -3
expect_error 1 "--subjects applies to tasks with subjects" -- eval --tasks piqa --subjects anatomy
expect_error 1 "piqa has no few-shot split" -- eval --tasks mmlu,piqa --shots 5
expect_error 1 "data directory $tmp/nodata does not exist" -- eval --data-dir "$tmp/nodata"
expect_error 1 "no tokenizer.model" -- eval --model "$fixtures/gemma-mqa" --data-dir "$tmp"

# Reports written where they cannot go: a folder in the way, a file in the parent path.
mkdir "$tmp/a_folder"
touch "$tmp/a_file"
expect_error 1 "a_folder: cannot write the report there: it is a folder" -- \
  bench --model "$fixtures/gemma-mqa" -p 4 -n 0 -r 1 --warmup 0 --out "$tmp/a_folder"
expect_error 1 "cannot create its folder" -- \
  bench --model "$fixtures/gemma-mqa" -p 4 -n 0 -r 1 --warmup 0 --out "$tmp/a_file/r.json"
if compgen -G "$tmp/a_folder.tmp.*" >/dev/null; then
  echo "FAIL: a temporary report file was left behind"
  failures=$((failures + 1))
fi

# Out of memory: virtual memory capped below what the default model needs (it maps 241
# MiB and allocates more). Whichever allocation fails first (the file mapping: gemmeter's
# own error; a later one: std::bad_alloc), the command must end with status 1 and one
# line naming what failed, never a crash.
err="$( (ulimit -v 340000; "$gemmeter" run -p hi -n 2) 2>&1 >/dev/null)"
status=$?
lines="$(grep -v '^loading\|^loaded' <<<"$err")"
if [[ $status -ne 1 ]] || [[ $(grep -c . <<<"$lines") -ne 1 ]] ||
   ! grep -qE "error: .*(out of memory while|Cannot allocate memory)" <<<"$lines"; then
  echo "FAIL: gemmeter run under ulimit -v 340000"
  echo "  wanted status 1 and one line naming the failed allocation; got status $status: $err"
  failures=$((failures + 1))
else
  echo "ok: gemmeter run under ulimit -v 340000 -> $status: $lines"
fi

echo "$failures failed"
[[ $failures -eq 0 ]]

# Sourced by the shell tests: $tmp, a scratch folder removed at exit (unless the test
# already has one: slurm_cluster.sh makes its own and cleans up after its daemons), and a
# count of failures that `fail MESSAGE` prints and adds to; a test ends with
# `[[ $failures -eq 0 ]]` (its exit status).
if [[ -z ${tmp:-} ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
fi
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

#!/usr/bin/env bash
# Mutation testing (mutmut 3) of the modules whose numbers users rely on, each against its own
# fast tests and within a time budget. A mutant is a small bug mutmut makes on purpose (a
# changed operator, constant or call argument); "killed" = some test failed on it, "survived" =
# every test still passed. The score is killed / (killed + survived) of the mutants it reached.
#
#   bash ci/mutation.sh                       # every module below, MUTATION_BUDGET s each
#   bash ci/mutation.sh metrics imresize      # just these
#   MUTATION_BUDGET=300 MUTATION_JOBS=1 bash ci/mutation.sh metrics
#   MUTATION_MUTANTS=/tmp/srgan-mutation/metrics/survivors.names bash ci/mutation.sh metrics
#                                             # only these mutants (names or globs, one a line):
#                                             # re-check the last run's survivors after adding tests
#                                             # (infer and train default to SCOPE below)
#
# It never touches the working tree: each module runs in a fresh copy of the repository's
# tracked and new (not ignored) files under a temporary folder, which mutmut fills with its
# mutants/. The report (score, survivors, mutmut's diff of each survivor) goes to
# $MUTATION_OUT/<module>/ (default /tmp/srgan-mutation). Needs `pip install mutmut` in the
# venv ($MUTATION_PYTHON, default .venv/bin/python). A module whose budget ends first reports
# the mutants it reached (mutmut picks up from there on the next run of the same copy only).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${MUTATION_PYTHON:-$REPO/.venv/bin/python}"
BUDGET="${MUTATION_BUDGET:-600}"
JOBS="${MUTATION_JOBS:-1}"
OUT="${MUTATION_OUT:-/tmp/srgan-mutation}"
# the copy is not next to ../shared: tests that need it find it through SRGAN_SHARED (tests/conftest.py)
export SRGAN_SHARED="$(cd "${SRGAN_SHARED:-$REPO/../shared}" 2>/dev/null && pwd || echo /nonexistent)"

# module -> the source file mutated and the fast tests that should notice its bugs
declare -A SOURCE TESTS
SOURCE[metrics]=srgan/metrics.py;       TESTS[metrics]="tests/test_metrics.py tests/test_ssim_references.py tests/test_protocol_border.py tests/test_grid.py tests/test_grid_reference.py"
SOURCE[imresize]=srgan/imresize.py;     TESTS[imresize]="tests/test_imresize.py tests/test_imresize_reference.py"
SOURCE[niqe]=srgan/niqe.py;             TESTS[niqe]="tests/test_niqe.py tests/test_niqe_reference.py"
# infer: its tiling and array handling, against the tests that run the network in dygraph (the
# engine and CLI tests of test_infer.py take ~50 s a mutant; run with the infer_tiling globs below)
SOURCE[infer]=srgan/infer.py;           TESTS[infer]="tests/test_infer.py::test_receptive_radius_matches_the_network tests/test_infer.py::test_tile_windows_cover_the_axis_with_context tests/test_infer.py::test_tiled_equals_untiled tests/test_infer.py::test_upscaler_tiles_are_seamless_on_uint8_output tests/test_infer.py::test_layouts_and_dtypes_are_kept tests/test_infer.py::test_bad_arrays_are_refused tests/test_infer.py::test_float_images_must_be_in_0_1 tests/test_infer.py::test_float_dtypes_come_back_as_given tests/test_safety.py::test_upscale_checks_memory_before_allocating tests/test_infer_tiling.py"
SOURCE[checkpoint]=srgan/checkpoint.py; TESTS[checkpoint]="tests/test_checkpoint.py tests/test_checkpoint_files.py tests/test_shipped_weights.py tests/test_run_start.py tests/test_runs.py tests/test_ema.py tests/test_spectral_discriminator.py tests/test_train.py tests/test_checkpoint_restore.py tests/test_best_and_schedule.py tests/test_safety.py"
SOURCE[atomic]=srgan/atomic.py;         TESTS[atomic]="tests/test_atomic.py tests/test_checkpoint.py tests/test_safety.py"
SOURCE[train]=srgan/train.py;           TESTS[train]="tests/test_best_and_schedule.py tests/test_fit_wiring.py tests/test_train.py tests/test_runs.py tests/test_run_start.py tests/test_ema.py tests/test_spectral_discriminator.py tests/test_interrupt.py tests/test_safety.py tests/test_checkpoint_restore.py"
ALL=(metrics imresize niqe infer checkpoint atomic train)
# The functions mutated by default where a module is more than its numbers (mutmut globs; the
# rest of infer is engines and files, the rest of train the losses and steps, tested elsewhere):
declare -A SCOPE
SCOPE[infer]="srgan.infer.x_tile_windows* srgan.infer.x_upscale_tiled* srgan.infer.x_receptive_radius* srgan.infer.x__value_range* srgan.infer.x__check_float_range* srgan.infer.x__from_unit* srgan.infer.x__resize_bicubic* srgan.infer.x_check_memory* srgan.infer.xǁUpscalerǁ__call__*"
SCOPE[train]="srgan.train.x_build_scheduler* srgan.train.xǁTrainerǁstate_dict* srgan.train.xǁTrainerǁload_state_dict* srgan.train.xǁTrainerǁsave* srgan.train.xǁTrainerǁresume* srgan.train.xǁTrainerǁ_resume* srgan.train.xǁTrainerǁ_validate_and_keep_best* srgan.train.xǁTrainerǁfit* srgan.train.xǁTrainerǁ_fit*"

modules=("$@")
[[ ${#modules[@]} -eq 0 ]] && modules=("${ALL[@]}")
for m in "${modules[@]}"; do
  [[ -n "${SOURCE[$m]:-}" ]] || { echo "unknown module '$m' (use: ${ALL[*]})" >&2; exit 2; }
done
"$PY" -c "import mutmut" 2>/dev/null || { echo "mutmut is not installed in $PY: $PY -m pip install mutmut" >&2; exit 2; }
mutmut="$(dirname "$PY")/mutmut"

mkdir -p "$OUT"
work="$(mktemp -d "${TMPDIR:-/tmp}/srgan-mutation-XXXXXX")"
trap 'rm -rf "$work"' EXIT

printf '%-11s %8s %7s %8s %9s %8s  %s\n' module mutants killed survived timeout "score" "(not reached)"
for m in "${modules[@]}"; do
  copy="$work/$m"
  mkdir -p "$copy"
  # the files a commit of the working tree would hold (tracked + new, not ignored)
  (cd "$REPO" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
     if [[ -f "$f" ]]; then printf '%s\0' "$f"; fi; done | tar --null -T - -cf -) | tar -xf - -C "$copy"
  # mutmut runs the tests once, then forks one child per mutant: a functools cache filled by
  # that first run (imresize's resize matrices, NIQE's model) would answer for the mutated
  # code. In the copy only, every test starts with the package's caches cleared.
  cat >> "$copy/tests/conftest.py" <<'EOF'


# tqdm's monitor thread (started by the first bar, even a disabled one) takes tqdm's lock every
# few seconds; a mutant's child forked while it holds it waits forever at its first bar (seen:
# train _fit mutants stuck in futex_wait until mutmut's wall timeout, counted as "timeout")
import tqdm as _tqdm

_tqdm.tqdm.monitor_interval = 0


@pytest.fixture(autouse=True)
def _mutation_fresh_caches():
    import sys

    for name, module in list(sys.modules.items()):
        if name == "srgan" or name.startswith("srgan."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
    yield
EOF
  tests_toml="$(printf '"%s", ' ${TESTS[$m]})"
  cat >> "$copy/pyproject.toml" <<EOF

[tool.mutmut]
source_paths = ["srgan"]
only_mutate = ["${SOURCE[$m]}"]
pytest_add_cli_args_test_selection = [${tests_toml%, }]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x", "-m", "not slow"]
use_git_change_detection = false
# mutmut runs the tests in mutants/, a copy of srgan/ and tests/ only: the shipped weights too
# (srgan.infer.shipped_weights finds them in weights/ next to the package)
also_copy = ["weights"]
EOF
  report="$OUT/$m"
  mkdir -p "$report"
  only=()
  if [[ -n "${MUTATION_MUTANTS:-}" ]]; then
    mapfile -t only < <(grep -v '^[[:space:]]*$' "$MUTATION_MUTANTS" | grep "^srgan\.$m\." || true)
    [[ ${#only[@]} -gt 0 ]] || { echo "$m: no mutant of this module in $MUTATION_MUTANTS" >&2; continue; }
  elif [[ -n "${SCOPE[$m]:-}" ]]; then
    set -f; only=(${SCOPE[$m]}); set +f  # globs for mutmut, not for the shell
  fi
  start=$SECONDS
  # the budget ends mutmut's run; what it reached is kept in mutants/*.meta
  (cd "$copy" && timeout --signal=INT --kill-after=30 "$BUDGET" \
     "$mutmut" run --max-children "$JOBS" "${only[@]}" >"$report/run.raw" 2>&1) || true
  # mutmut redraws its progress line with carriage returns: keep the messages and the last count
  tr '\r' '\n' < "$report/run.raw" | grep -av '^.[[:space:]]*\(Generating mutants\|Running \|[0-9]*/[0-9]* \)' > "$report/run.log" || true
  tail -c 300 "$report/run.raw" | tr '\r' '\n' | tail -n 2 >> "$report/run.log"; rm -f "$report/run.raw"
  (cd "$copy" && "$mutmut" export-cicd-stats >/dev/null 2>&1 && cp mutants/mutmut-cicd-stats.json "$report/stats.json") || true
  (cd "$copy" && "$mutmut" results > "$report/survivors.txt" 2>/dev/null) || true
  grep -E ': (survived|no tests)$' "$report/survivors.txt" | sed 's/^ *//; s/:.*//' > "$report/survivors.names" || true
  # mutmut's diff of every survivor, to judge which are equivalent (no behaviour a user could see)
  : > "$report/survivors.diff"
  { grep -E ': (survived|no tests)$' "$report/survivors.txt" || true; } | sed 's/^ *//; s/:.*//' | while read -r name; do
    (cd "$copy" && "$mutmut" show "$name" >> "$report/survivors.diff" 2>/dev/null) || true
  done  # (no survivor: grep finds nothing, which must not end the script under pipefail)
  set -f; MUTATION_ONLY="${only[*]:-}" "$PY" - "$m" "$report" $((SECONDS - start)) <<'EOF'
import fnmatch, json, os, sys
from pathlib import Path
module, report, seconds = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
try:
    s = json.loads((report / "stats.json").read_text())
except (OSError, ValueError):
    print(f"{module:<11} no result (see {report / 'run.log'})")
    sys.exit(0)
if "failed to collect stats" in (report / "run.log").read_text(errors="replace"):
    # the unmutated tests failed (or errored) in mutmut's copy: no mutant was tried
    print(f"{module:<11} no result: the tests fail on the unmutated code in mutmut's copy (see {report / 'run.log'})")
    sys.exit(0)
# "no tests": no selected test runs the mutated function, a survivor too
killed, survived, timeout = s.get("killed", 0), s.get("survived", 0) + s.get("no_tests", 0), s.get("timeout", 0)
reached = killed + survived + timeout
not_reached = s.get("total", 0) - reached - sum(s.get(k, 0) for k in ("skipped", "suspicious", "segfault",
                                                                       "check_was_interrupted_by_user"))
only = os.environ.get("MUTATION_ONLY", "").split()
if only:  # a selection (SCOPE or MUTATION_MUTANTS): "total" is the selection's size, not the module's
    unchecked = [line.strip().split(":")[0] for line in (report / "survivors.txt").read_text().splitlines()
                 if line.strip().endswith(": not checked")]
    not_reached = sum(any(fnmatch.fnmatchcase(name, p) for p in only) for name in unchecked)
    s["module_total"], s["total"] = s.get("total", 0), reached + not_reached
score = f"{100 * (killed + timeout) / reached:.1f}%" if reached else "-"
print(f"{module:<11} {s.get('total', 0):>8} {killed:>7} {survived:>8} {timeout:>9} {score:>8}  ({not_reached}; {seconds} s)")
s.update(not_reached=not_reached, score=score)
(report / "summary.json").write_text(json.dumps({"module": module, "seconds": int(seconds), **s}, indent=1) + "\n")
EOF
  set +f
done
echo "reports: $OUT/<module>/{summary.json,survivors.txt,survivors.diff,run.log}"

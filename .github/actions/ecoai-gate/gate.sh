#!/usr/bin/env bash
# ecoai-gate: the logic of the composite action in action.yml, runnable (and tested) anywhere.
#
# Inputs (environment, as the action passes them):
#   BASELINE, CANDIDATE                   report JSON files, or
#   BASELINE_COMMAND, CANDIDATE_COMMAND   commands to measure with `ecoai profile` (bash -c)
#   GATES                                 a gates TOML file for `ecoai compare --gates` (optional)
#   REPEAT                                runs per command (default 1; >= 2 enables significance)
#   PROFILE_ARGS                          extra `ecoai profile` flags, e.g. "--grid FRA --pue 1.2"
#   FAIL_ON_REGRESSION                    "true" (default): exit 1 when a gate fails
#   ECOAI                                 the ecoai command (default: ecoai)
#   WORK_DIR                              where reports and summaries go (default: a temp dir)
# Outputs: verdict (pass | fail), summary (markdown), comparison (the JSON file) appended to
# $GITHUB_OUTPUT; the markdown summary appended to $GITHUB_STEP_SUMMARY when set.
# Exit status: 0 pass (or fail with FAIL_ON_REGRESSION=false), 1 a gate failed, 2 bad input or
# a measured command that failed.
set -uo pipefail

ecoai=${ECOAI:-ecoai}
work=${WORK_DIR:-$(mktemp -d)}
mkdir -p "$work"

die() {
    echo "ecoai-gate: error: $1" >&2
    [ $# -gt 1 ] && echo "hint: $2" >&2
    exit 2
}

# report_for SIDE FILE COMMAND: prints the report path of one side, measuring COMMAND if needed.
report_for() {
    local side=$1 file=$2 command=$3
    if [ -n "$file" ] && [ -n "$command" ]; then
        die "give ${side} or ${side}-command, not both"
    fi
    if [ -n "$file" ]; then
        [ -f "$file" ] || die "${side} report ${file} does not exist" "check the path"
        echo "$file"
        return
    fi
    [ -n "$command" ] || die "no ${side}" "give ${side} (a report) or ${side}-command"
    local out="$work/${side}.json" status
    # shellcheck disable=SC2086  # PROFILE_ARGS is a list of flags
    $ecoai profile --quiet --force --repeat "${REPEAT:-1}" --label "$side" ${PROFILE_ARGS:-} \
        -o "$out" -- bash -c "$command" >&2
    status=$?
    [ "$status" -eq 0 ] || die "the ${side} command failed (exit status ${status})" \
        "fix the command; its report, if any, is in ${out}"
    echo "$out"
}

baseline=$(report_for baseline "${BASELINE:-}" "${BASELINE_COMMAND:-}") || exit $?
candidate=$(report_for candidate "${CANDIDATE:-}" "${CANDIDATE_COMMAND:-}") || exit $?

gates=()
if [ -n "${GATES:-}" ]; then
    gates=(--gates "$GATES")
fi
$ecoai compare "$baseline" "$candidate" "${gates[@]}" --format markdown --force \
    -o "$work/summary.md" 2>"$work/compare.err"
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    cat "$work/compare.err" >&2
    exit 2
fi
$ecoai compare "$baseline" "$candidate" "${gates[@]}" --json --force \
    -o "$work/comparison.json" 2>/dev/null
verdict=pass
[ "$status" -eq 1 ] && verdict=fail

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    delimiter="ecoai_gate_$RANDOM$RANDOM"
    {
        echo "verdict=$verdict"
        echo "comparison=$work/comparison.json"
        echo "summary<<$delimiter"
        cat "$work/summary.md"
        echo "$delimiter"
    } >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$work/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
cat "$work/compare.err" >&2
echo "ecoai-gate: $verdict" >&2
if [ "$verdict" = fail ] && [ "${FAIL_ON_REGRESSION:-true}" = true ]; then
    exit 1
fi
exit 0

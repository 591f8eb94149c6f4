#!/usr/bin/env bash
# Mutation testing (mutmut 3) of the modules a person's safety rests on. Not part of CI: a full
# run takes tens of minutes on two cores. Usage:
#
#   scripts/mutation.sh                 every module below
#   scripts/mutation.sh text hours      only these (keys of MODULES)
#
# Each module runs in its own scratch folder mutants/<key>/ (git-ignored) with its own mutmut
# configuration, so it mutates one file and runs only the fast tests that concern it (no browser,
# no PostgreSQL). For each module the script prints killed/total, the score and every mutant
# not killed, and exits non-zero when a module scores under 85 % unless each of its surviving
# mutants is listed, with the reason it is equivalent, in docs/mutation-equivalent.md.
# MUTATION_CHILDREN (default 1) sets how many mutants are tested at once. MUTATION_REF=HEAD (or
# any commit) mutates and tests webapp/ and tests/ as committed there instead of the work tree,
# so a score is not moved by edits still in progress.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GOAL=85
EQUIVALENT=docs/mutation-equivalent.md
CHILDREN=${MUTATION_CHILDREN:-1}
REF=${MUTATION_REF:-}
MUTMUT_VERSION=3.8.1

# key -> "file to mutate|test files or node ids run against its mutants"
declare -A MODULES=(
  [text]="webapp/search/text.py|tests/test_text_properties.py tests/test_search.py::test_folding_rules"
  [segments]="webapp/sms/segments.py|tests/test_segments_properties.py tests/test_sms.py::test_segment_counting"
  [hours]="webapp/directory/hours.py|tests/test_hours_properties.py tests/test_sheets.py::test_opening_hours tests/test_sheets.py::test_opening_hours_refused"
  [security]="webapp/security.py|tests/test_security_mutants.py tests/test_security.py::test_client_identity_is_stripped tests/test_security.py::test_500_page_has_headers_and_no_trace"
  [render]="webapp/render_budget.py|tests/test_security_mutants.py"
  [presenters]="webapp/directory/presenters.py|tests/test_presenters_mutants.py tests/test_reports.py::test_only_web_addresses_become_links tests/test_reports.py::test_only_plain_addresses_become_mailto tests/test_lows_import.py::test_never_a_web_link tests/test_lows_import.py::test_never_a_mailto tests/test_lows_import.py::test_ordinary_web_links_stay"
  [bidi]="webapp/bidi.py|tests/test_bidi_mutants.py tests/test_staff_bidi.py::test_number_runs tests/test_staff_bidi.py::test_isolation_escapes_and_wraps"
  [receipts]="webapp/tips/services.py|tests/test_receipts_mutants.py"
)
ORDER=(text segments hours security render presenters bidi receipts)

if [[ ! -x .venv/bin/pytest ]]; then
  ./scripts/setup.sh
fi
if [[ "$(.venv/bin/mutmut --version 2>/dev/null || true)" != *"$MUTMUT_VERSION"* ]]; then
  .venv/bin/pip install -q "mutmut==$MUTMUT_VERSION" 2> >(grep -v "is ignored" >&2)
fi

# Data the app reads next to webapp/ (config.ROOT): copied beside the mutated package.
ALSO_COPY=(translations static services_data migrations reference)

toml_list() {  # words -> a TOML array of strings
  local out="" w
  for w in "$@"; do out+="${out:+, }\"$w\""; done
  printf '[%s]' "$out"
}

# Mutant names listed as equivalent (the first `webapp....__mutmut_N` of each list item).
equivalents() {
  [[ -f $EQUIVALENT ]] || return 0
  grep -oE '^- `[^`]+__mutmut_[0-9]+`' "$EQUIVALENT" | sed -e 's/^- `//' -e 's/`$//' || true
}

status=0
summary=()
keys=("$@")
[[ ${#keys[@]} -gt 0 ]] || keys=("${ORDER[@]}")
for key in "${keys[@]}"; do
  spec=${MODULES[$key]:-}
  if [[ -z $spec ]]; then
    echo "unknown module '$key' (one of: ${ORDER[*]})" >&2
    exit 2
  fi
  file=${spec%%|*}
  tests=()
  for t in ${spec#*|}; do  # a test file written later (or removed) is skipped, not an error
    if [[ -n $REF ]]; then
      git cat-file -e "$REF:${t%%::*}" 2>/dev/null && tests+=("$t")
    else
      [[ -f ${t%%::*} ]] && tests+=("$t")
    fi
  done
  if [[ ${#tests[@]} -eq 0 ]]; then
    echo "== $key: no test file exists for $file" >&2
    status=1
    continue
  fi

  work=mutants/$key
  rm -rf "$work"  # a fresh copy every run: the scores never mix an old module with a new one
  mkdir -p "$work"
  if [[ -n $REF ]]; then
    git archive "$REF" webapp tests | tar -x -C "$work"
    for d in "${ALSO_COPY[@]}"; do ln -s "$ROOT/$d" "$work/$d"; done
  else
    for d in webapp tests "${ALSO_COPY[@]}"; do ln -s "$ROOT/$d" "$work/$d"; done
  fi
  {
    cat pyproject.toml
    printf '\n[tool.mutmut]\n'
    printf 'source_paths = ["webapp"]\n'
    printf 'only_mutate = ["%s"]\n' "$file"
    printf 'also_copy = %s\n' "$(toml_list "${ALSO_COPY[@]}")"
    printf 'pytest_add_cli_args = ["-p", "no:cacheprovider"]\n'
    printf 'pytest_add_cli_args_test_selection = %s\n' "$(toml_list "${tests[@]}")"
    printf 'use_git_change_detection = false\n'
  } >"$work/pyproject.toml"

  echo "== $key: mutating $file${REF:+ at $REF ($(git rev-parse --short "$REF"))} against ${tests[*]}"
  start=$SECONDS
  (cd "$work" && "$ROOT/.venv/bin/mutmut" run --max-children "$CHILDREN") >"$work/run.log" 2>&1 || {
    tail -30 "$work/run.log"
    echo "== $key: mutmut failed (log: $work/run.log)" >&2
    status=1
    continue
  }
  (cd "$work" && "$ROOT/.venv/bin/mutmut" results --all true) >"$work/results.txt"
  total=$(grep -c '__mutmut_' "$work/results.txt" || true)
  killed=$(grep -cE ': (killed|timeout|caught by type check)$' "$work/results.txt" || true)
  grep -vE ': (killed|timeout|caught by type check)$' "$work/results.txt" \
    | grep '__mutmut_' | sed 's/^ *//' >"$work/survivors.txt" || true
  listed=$(equivalents)
  unlisted=()
  while IFS= read -r line; do
    name=${line%%:*}
    grep -qxF "$name" <<<"$listed" || unlisted+=("$line")
  done <"$work/survivors.txt"
  survived=$(wc -l <"$work/survivors.txt")
  score=$(awk -v k="$killed" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * k / t : 0 }')
  verdict=ok
  if awk -v s="$score" -v g="$GOAL" 'BEGIN { exit !(s < g) }' && [[ ${#unlisted[@]} -gt 0 ]]; then
    verdict="BELOW $GOAL %"
    status=1
  fi
  echo "   $key ($file): $killed/$total killed, $score %, $survived not killed" \
       "(${#unlisted[@]} not listed as equivalent), $((SECONDS - start)) s: $verdict"
  for line in "${unlisted[@]}"; do echo "   survivor: $line  (cd $work && ../../.venv/bin/mutmut show ${line%%:*})"; done
  summary+=("$key $file $killed/$total $score% ${#unlisted[@]}-unlisted $verdict")
done

echo "== summary (nproc $(nproc), $(uname -m), $(date -u +%F))"
for s in "${summary[@]}"; do echo "   $s"; done
exit $status

# shellcheck shell=bash
# Sourced by every script that runs under `set -e`: when a command fails and the shell is about to
# stop, say which script, line and command failed and with what status, so no run ends in silence.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/errtrap.sh"   # path relative to the script
#
# The trap fires under the same rules as `set -e`: a failing test in an `if`, `while`, `&&` or `||`
# is not an error and prints nothing. Functions and subshells inherit it (errtrace); a failure
# inside a command substitution is named where it happened and again at the line that used it.
set -o errtrace

pn_on_err() {
  printf '%s: error: line %s: "%s" exited with status %s\n' "${2##*/}" "$3" "$4" "$1" >&2
}

trap 'pn_on_err "$?" "${BASH_SOURCE[0]:-$0}" "$LINENO" "$BASH_COMMAND"' ERR

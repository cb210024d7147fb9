# SPDX-License-Identifier: LGPL-2.1
#
# Sourced first by every script under scripts/dev/: with -h or --help, the
# comment at the script's top, after its licence line, is its usage, on
# stdout with status 0, before anything else runs (root checks, the tracefs
# lock, a guest's boot).
case $1 in
-h | --help)
	awk 'NR > 3 && /^#/ { sub(/^# ?/, ""); print; next } NR > 3 { exit }' "$0"
	exit 0 ;;
esac

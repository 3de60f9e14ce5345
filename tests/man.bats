#!/usr/bin/env bats
# Every command has a man page, and the options in --help and in the page
# are the same set.
bats_require_minimum_version 1.5.0
load helper

MAN="$BATS_TEST_DIRNAME/../man"

# long options a man page documents in .It/.Op/.Fl lines: "Fl -name",
# "Fl Fl name", or the ".It Fl c , -name" form
man_opts() {
	grep -E '^\.(It|Op|Fl)' "$1" |
		grep -oE '(Fl Fl |Fl -|, -|, Fl Fl )[a-z][a-z0-9-]*' |
		sed -E 's/^(Fl Fl |Fl -|, -|, Fl Fl )/--/' | sort -u
}

help_opts() {
	"$1" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

@test "man: every command has a page and the same options as --help" {
	n=0
	for bin in "$SYM_BIN"/sym-*; do
		cmd=${bin##*/}
		page="$MAN/$cmd.1"
		[ -f "$page" ] || { echo "$cmd: no man page"; false; }
		diff <(help_opts "$bin") <(man_opts "$page") ||
			{ echo "$cmd: --help (<) and $cmd.1 (>) disagree"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}

@test "man: pages lint clean" {
	for page in "$MAN"/*.[157]; do
		run -0 mandoc -Tlint -Wwarning "$page"
		[ -z "$output" ] || { echo "$page: $output"; false; }
	done
}

@test "man: every command's usage line is its page's synopsis" {
	for bin in "$SYM_BIN"/sym-*; do
		cmd=${bin##*/}
		usage=$("$bin" --help |
			awk 'NR == 1 || /^      / { print; next } { exit }' |
			sed 's/^usage: //' | tr -s '[:space:]' ' ' | sed 's/^ //; s/ $//')
		synopsis=$(mandoc -Tascii "$MAN/$cmd.1" | col -b |
			awk '/^SYNOPSIS/{f=1; next} /^[A-Z]/{f=0} f' |
			tr -s '[:space:]' ' ' | sed 's/^ //; s/ $//')
		[ "$usage" = "$synopsis" ] ||
			{ echo "$cmd: usage '$usage' vs synopsis '$synopsis'"; false; }
	done
}

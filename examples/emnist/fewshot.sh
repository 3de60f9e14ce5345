#!/bin/sh
# fewshot.sh DIR SHOT DRAWS QUERIES.emb EMBED...: K-shot accuracy on the
# EMNIST digits with memorised examples from the digits TRAIN set and
# queries (already embedded) from its TEST set. For each of DRAWS seeds
# it memorises SHOT random training images per digit (sym-load --shuffle
# --seed), embeds them with the command EMBED... (sym-embed -m MODEL, or
# sym-embed --raw) and classifies every query; 5-shot and more score a
# class by its mean (the prototype), 1-shot by its one example. Prints the
# mean accuracy over the draws and 1.96 standard errors:
#   10-way 1-shot: 0.6123 ± 0.0123 (10 support draws, 10000 queries)
set -e
[ $# -ge 5 ] || { echo "usage: fewshot.sh DIR SHOT DRAWS QUERIES.emb EMBED..." >&2; exit 2; }
dir=$1 shot=$2 draws=$3 queries=$4
shift 4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fewshot.XXXXXX")
# on a signal too (sh runs the EXIT trap only on exit)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
reduce=max
[ "$shot" -gt 1 ] && reduce=mean
r=1
while [ "$r" -le "$draws" ]; do
	sym-load -q emnist "$dir" --split digits --per-class "$shot" \
	    --shuffle --seed "$r" | "$@" > "$tmp/support.emb"
	sym-match -q -s "$tmp/support.emb" --reduce "$reduce" \
	    --summary "$tmp/summary" < "$queries" > /dev/null
	sed -n 's/^accuracy: \([0-9.]*\) (\([0-9]*\) queries)/\1 \2/p' \
	    "$tmp/summary"
	r=$((r + 1))
done > "$tmp/acc"
ways=$(sym-info -H "$queries" | sed -n 's/^classes: //p')
awk -v shot="$shot" -v ways="$ways" '
	{ s += $1; ss += $1 * $1; n++; q = $2 }
	END {
		if (n == 0) { print "fewshot.sh: no accuracy" > "/dev/stderr"; exit 1 }
		m = s / n; v = n > 1 ? (ss - n * m * m) / (n - 1) : 0
		if (v < 0) v = 0
		printf "%d-way %d-shot: %.4f ± %.4f (%d support draws, %d queries)\n",
		    ways, shot, m, 1.96 * sqrt(v / n), n, q
	}' "$tmp/acc"

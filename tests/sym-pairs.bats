#!/usr/bin/env bats
# sym-pairs: pairs drawn from labelled images.
bats_require_minimum_version 1.5.0
load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	# groups A (3 classes) and B (2 classes), 3 images each
	for c in A/x A/y A/z B/u B/v; do
		for i in 1 2 3; do echo "$c $i $i"; done
	done | mkimages 2 1 > five.sym
}

@test "sym-pairs: --help and --version" {
	run -0 sym-pairs --help
	[[ "${lines[0]}" == "usage: sym-pairs "* ]]
	run -0 sym-pairs -V
	[ "$output" = "sym-pairs 0.1.0" ]
}

@test "sym-pairs: exact counts, labels right, never an image with itself" {
	sym-pairs -q -n 1000 --positive-fraction 0.3 < five.sym > p.sym
	sym-info -r p.sym > rec
	[ "$(grep -c '^pair	' rec)" -eq 1000 ]
	[ "$(grep -c '^pair	.*	1$' rec)" -eq 300 ]
	# every pair's same flag agrees with the items' classes
	awk -F'\t' '$1=="item"{c[$2]=$3} $1=="pair"{ if ($2==$3) bad++;
		if ((c[$2]==c[$3]) != $4) bad++ } END { exit bad > 0 }' rec
}

@test "sym-pairs: items are stored once" {
	sym-pairs -q -n 1000 < five.sym > p.sym
	run -0 sym-info p.sym
	[[ "$output" == *"items: 15"* ]]
	[[ "$output" == *"pairs: 1000"* ]]
	# the count on stderr, in the singular for one
	run -0 --separate-stderr bash -c "sym-pairs -n 1 --positive-fraction 1 < five.sym > p1.sym"
	[ "$stderr" = "sym-pairs: 1 pair (1 same) over 2 items" ]
}

@test "sym-pairs: --same-group-negatives 1 keeps negatives inside a group" {
	sym-pairs -q -n 500 --positive-fraction 0 --same-group-negatives 1 \
		< five.sym | sym-info -r > rec
	awk -F'\t' '$1=="item"{split($3, g, "/"); c[$2]=g[1]}
		$1=="pair"{ if (c[$2] != c[$3]) bad++ } END { exit bad > 0 }' rec
	# and 0 does not
	sym-pairs -q -n 500 --positive-fraction 0 < five.sym | sym-info -r > rec
	run awk -F'\t' '$1=="item"{split($3, g, "/"); c[$2]=g[1]}
		$1=="pair"{ if (c[$2] != c[$3]) n++ } END { print n }' rec
	[ "$output" -gt 100 ]
	# without groups of two classes it cannot: said, not silent
	printf 'a 1 1\na 2 2\nb 3 3\nb 4 4\n' | mkimages 2 1 > flat.sym
	run -0 --separate-stderr sym-pairs -n 4 --same-group-negatives 1 flat.sym
	[ "${stderr_lines[0]}" = "sym-pairs: flat.sym: --same-group-negatives: no group has 2 classes (a group is a class name up to its last '/'); negatives come from all classes" ]
}

@test "sym-pairs: the same seed gives the same bytes, another seed not" {
	sym-pairs -q -n 200 --seed 7 < five.sym > a
	sym-pairs -q -n 200 --seed 7 < five.sym > b
	sym-pairs -q -n 200 --seed 8 < five.sym > c
	cmp a b
	! cmp -s a c
}

@test "sym-pairs: one class is refused" {
	printf 'a 1 1\na 2 2\n' | mkimages 2 1 > one.sym
	run -1 --separate-stderr sym-pairs < one.sym
	[ "$stderr" = "sym-pairs: stdin: need at least 2 classes with images, got 1" ]
	[ -z "$output" ]
	# unless every pair is a same-class one
	run -0 sym-info < <(sym-pairs -q -n 3 --positive-fraction 1 < one.sym)
	[[ "$output" == *"pairs-same: 3"* ]]
}

@test "sym-pairs: no class with two images is refused" {
	printf 'a 1 1\nb 2 2\n' | mkimages 2 1 > single.sym
	run -1 --separate-stderr sym-pairs < single.sym
	[ "$stderr" = "sym-pairs: stdin: no class has 2 images, so no same-class pair exists" ]
	[ -z "$output" ]
	# unless no pair is a same-class one
	run -0 sym-info < <(sym-pairs -q -n 3 --positive-fraction 0 < single.sym)
	[[ "$output" == *"pairs-different: 3"* ]]
}

@test "sym-pairs: a pairs stream is not input" {
	sym-pairs -q -n 5 < five.sym > p.sym
	run -1 --separate-stderr sym-pairs < p.sym
	[ "$stderr" = "sym-pairs: stdin: expected images or embeddings, got pairs" ]
}

@test "sym-pairs: bad options" {
	run -2 --separate-stderr sym-pairs -n 0 < five.sym
	[ "$stderr" = "sym-pairs: --count: 0 is out of range 1..100000000" ]
	run -2 --separate-stderr sym-pairs --positive-fraction abc < five.sym
	[ "$stderr" = "sym-pairs: --positive-fraction: 'abc' is not a number" ]
	run -2 --separate-stderr sym-pairs --positive-fraction 1.5 < five.sym
	[ -z "$output" ]
}

@test "sym-pairs: empty and truncated input" {
	run -1 --separate-stderr sym-pairs < /dev/null
	[ "$stderr" = "sym-pairs: stdin: empty input (expected a sym stream)" ]
	head -c 150 five.sym > cut
	run -1 --separate-stderr sym-pairs cut
	[[ "$stderr" == "sym-pairs: cut: truncated stream after "* ]]
	[ -z "$output" ]
}

@test "sym-pairs: --max-memory refuses up front" {
	run -1 --separate-stderr sym-pairs --max-memory 1 < <(
		for i in $(seq 1 600); do echo "c$((i % 2)) $(seq -s ' ' 1 2000)"; done |
		mkimages 2000 1)
	[[ "$stderr" == "sym-pairs: stdin: needs 1 MB of memory, the limit is 1 MB (see --max-memory)" ]] ||
		[[ "$stderr" == "sym-pairs: stdin: needs "*"MB of memory, the limit is 1 MB (see --max-memory)" ]]
}

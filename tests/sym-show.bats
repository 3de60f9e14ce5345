#!/usr/bin/env bats
# sym-show: contact sheets of images, pairs and matches; the PNG's size is
# read from its IHDR chunk (width and height, big-endian, at byte 16).
bats_require_minimum_version 1.5.0
load helper

# "WIDTH HEIGHT" of a PNG
png_size() {
	od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	# five 4x3 images of classes a, b, c
	for c in a b c a b; do
		printf '%s' "$c"
		for i in $(seq 12); do printf ' %d' $(( (i * 37 + ${#c}) % 256 )); done
		echo
	done | mkimages 4 3 > five.sym
}

@test "sym-show: --help, --version, bad options" {
	run -0 sym-show --help
	[ "${lines[0]}" = "usage: sym-show [-q] -o out.png [-c cols] [-n limit] [-s scale]" ]
	[[ "$output" == *"--matches FILE"* ]]
	run -0 sym-show -V
	[ "$output" = "sym-show 0.1.0" ]
	run -2 --separate-stderr sym-show --bogus -o x.png five.sym
	[ -z "$output" ]
	run -2 --separate-stderr sym-show five.sym
	[ "$stderr" = "sym-show: no output file (-o out.png)" ]
	run -2 --separate-stderr sym-show -o x.png -m m.tsv five.sym
	[ "$stderr" = "sym-show: --matches and --support go together" ]
	run -2 --separate-stderr sym-show -o x.png -s 17 five.sym
	[ -z "$output" ]
	[ ! -e x.png ]
}

@test "sym-show: images as a grid, PNG of the expected size" {
	# cells of 4*2 + 2*4 = 16 by 3*2 + 2*4 + 11 = 25 pixels, 3 columns
	run -0 --separate-stderr sym-show -o grid.png -c 3 < five.sym
	[ -z "$output" ]
	[ "$stderr" = "sym-show: grid.png: 48x50" ]
	[ "$(head -c 8 grid.png | od -An -tx1 | tr -d ' ')" = "89504e470d0a1a0a" ]
	[ "$(od -An -c -j12 -N4 grid.png | tr -d ' ')" = "IHDR" ]
	[ "$(png_size grid.png)" = "48 50" ]
	# bit depth 8, colour type 2 (RGB)
	[ "$(od -An -tu1 -j24 -N2 grid.png | tr -s ' ')" = " 8 2" ]
	run -0 sym-show -q -o one.png -n 1 -s 1 five.sym
	[ "$(png_size one.png)" = "12 22" ]
	# default 10 columns: all five in one row
	run -0 sym-show -q -o row.png five.sym
	[ "$(png_size row.png)" = "80 25" ]
}

@test "sym-show: pairs side by side" {
	sym-pairs -q -n 4 --seed 1 five.sym > p.sym
	# cells of 2 * 8 + 3 * 4 = 28 by 25
	run -0 sym-show -q -o pairs.png p.sym
	[ "$(png_size pairs.png)" = "112 25" ]
	run -0 sym-show -q -o pairs2.png -c 2 -n 3 p.sym
	[ "$(png_size pairs2.png)" = "56 50" ]
}

@test "sym-show: queries beside their matches" {
	printf 'a 0 0\nb 5 5\nc 10 0\n' | mkemb > sup.emb
	printf 'a 0 1\nb 9 1\nc 9 0\n' | mkemb > q.emb
	sym-match -q -k 2 -s sup.emb q.emb > m.tsv
	[ "$(cut -f3 m.tsv | tr '\n' ' ')" = "a c c " ]
	# rows of 3 * 3 * 2 + 2 * 4 + 2 * 11 = 36, the query and 2 matches
	# of 16 pixels plus a 4-pixel gap
	run -0 sym-show -q -o m.png -m m.tsv -S five.sym five.sym
	[ "$(png_size m.png)" = "52 108" ]
	# without -k columns: one match per query
	cut -f1-4 m.tsv > m1.tsv
	run -0 sym-show -q -o m1.png --matches m1.tsv --support five.sym five.sym
	[ "$(png_size m1.png)" = "36 108" ]
	run -0 sym-show -q -o m2.png -n 2 -m m.tsv -S five.sym five.sym
	[ "$(png_size m2.png)" = "52 72" ]
}

@test "sym-show: matches named #N are support rows; missing classes warn" {
	# support rows without a class: sym-match names them #0, #1, ...
	for c in - - a; do
		printf '%s' "$c"
		for i in $(seq 12); do printf ' %d' $(( (i * 50 + ${#c}) % 256 )); done
		echo
	done | mkimages 4 3 > sup3.sym
	printf '0\ta\t#1\t0.9000\n1\tb\ta\t0.8000\n' > m.tsv
	run -0 --separate-stderr sym-show -o full.png -m m.tsv -S sup3.sym five.sym
	[ "$stderr" = "sym-show: full.png: 36x72" ]
	# row 1 drawn: the same sheet without it differs
	printf -- '- 1 2 3 4 5 6 7 8 9 10 11 12\n' | mkimages 4 3 > one.sym
	run -0 --separate-stderr sym-show -o short.png -m m.tsv -S one.sym five.sym
	[ "${stderr_lines[0]}" = "sym-show: one.sym: no image of \"#1\" (from m.tsv): its frames stay empty" ]
	[ "${stderr_lines[1]}" = "sym-show: one.sym: 2 match frames empty in all" ]
	[ "$(png_size full.png)" = "$(png_size short.png)" ]
	run -1 cmp -s full.png short.png
	# -q: no warning
	run -0 --separate-stderr sym-show -q -o short.png -m m.tsv -S one.sym five.sym
	[ -z "$stderr" ]
}

@test "sym-show: bad inputs leave no PNG behind" {
	run -1 --separate-stderr sym-show -o x.png < /dev/null
	[ "$stderr" = "sym-show: stdin: empty input (expected a sym stream)" ]
	[ ! -e x.png ]
	printf 'a 1 2\n' | mkemb > e.emb
	run -1 --separate-stderr sym-show -o x.png e.emb
	[ "$stderr" = "sym-show: e.emb: f32 embeddings cannot be drawn (u8 images or pairs only)" ]
	[ ! -e x.png ]
	head -c 70 five.sym > cut.sym
	run -1 --separate-stderr sym-show -o x.png cut.sym
	[[ "$stderr" == "sym-show: cut.sym: "*truncated* ]]
	[ ! -e x.png ]
	printf '0\ta\n' > bad.tsv
	run -1 --separate-stderr sym-show -o x.png -m bad.tsv -S five.sym five.sym
	[ "$stderr" = "sym-show: bad.tsv: line 1: not a sym-match line" ]
	printf -- '-1\ta\ta\t0.5\n' > neg.tsv
	run -1 --separate-stderr sym-show -o x.png -m neg.tsv -S five.sym five.sym
	[ "$stderr" = "sym-show: neg.tsv: line 1: bad query index \"-1\"" ]
	printf '0\ta\ta\t0.5\ta\t0.5\tb\tx\n' > sim.tsv
	run -1 --separate-stderr sym-show -o x.png -m sim.tsv -S five.sym five.sym
	[ "$stderr" = "sym-show: sim.tsv: line 1: bad similarity \"x\"" ]
	[ ! -e x.png ]
	printf '9\ta\ta\t0.5\n' > far.tsv
	run -1 --separate-stderr sym-show -o x.png -m far.tsv -S five.sym five.sym
	[ "$stderr" = "sym-show: five.sym: no query 9 (from far.tsv)" ]
	[ ! -e x.png ]
	# answers to other queries: query 1 is of class b, not a
	printf '0\ta\ta\t0.5\n1\ta\ta\t0.5\n' > other.tsv
	run -1 --separate-stderr sym-show -o x.png -m other.tsv -S five.sym five.sym
	[ "$stderr" = "sym-show: five.sym: query 1 is \"b\", other.tsv says \"a\": not the queries it answers" ]
	printf '2\t-\ta\t0.5\n' > nolabel.tsv
	run -1 --separate-stderr sym-show -o x.png -m nolabel.tsv -S five.sym five.sym
	[ "$stderr" = "sym-show: five.sym: query 2 is \"c\", nolabel.tsv says \"-\": not the queries it answers" ]
	[ ! -e x.png ]
	printf 'a 1 2 3 4\n' | mkimages 2 2 > small.sym
	printf '0\ta\ta\t0.5\n' > ok.tsv
	run -1 --separate-stderr sym-show -o x.png -m ok.tsv -S small.sym five.sym
	[ "$stderr" = "sym-show: small.sym: images are 1x2x2, queries 1x3x4" ]
	# an existing PNG survives a failed run
	sym-show -q -o keep.png five.sym
	cp keep.png before.png
	run -1 sym-show -o keep.png cut.sym
	cmp keep.png before.png
	run -1 --separate-stderr sym-show -o nodir/x.png five.sym
	[[ "$stderr" == "sym-show: nodir/x.png"* ]]
}

# how many pixels of a PNG have gray value V (luma: green frames 94, red
# 62), read back with sym-load (--invert: it takes PNGs for ink on
# paper); the image's pixels end the stream
count_gray() {
	mkdir -p "cg/$1"
	cp "$1" "cg/$1/"
	sym-load -q --invert png "cg/$1" > cg.sym
	set -- "$(png_size "$1")" "$2"
	tail -c "$(( ${1% *} * ${1#* } ))" cg.sym | od -An -v -tu1 |
	    tr -s ' ' '\n' | grep -cx "$2" || true
}

@test "sym-show: a support class named unknown is framed like any other" {
	for c in a unknown; do
		printf '%s' "$c"; for i in $(seq 12); do printf ' 200'; done; echo
	done | mkimages 4 3 > sup.sym
	{ printf 'unknown'; for i in $(seq 12); do printf ' 200'; done; echo; } |
	    mkimages 4 3 > q.sym
	printf '0\tunknown\tunknown\t0.9000\n' > right.tsv
	printf '0\tunknown\ta\t0.5000\n' > wrong.tsv
	sym-show -q -o right.png -m right.tsv -S sup.sym q.sym
	sym-show -q -o wrong.png -m wrong.tsv -S sup.sym q.sym
	[ "$(count_gray right.png 94)" -gt 0 ]
	[ "$(count_gray right.png 62)" -eq 0 ]
	[ "$(count_gray wrong.png 62)" -gt 0 ]
	[ "$(count_gray wrong.png 94)" -eq 0 ]
}

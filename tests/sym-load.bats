#!/usr/bin/env bats
# sym-load: every source on fixtures made here (mkidx, mkpng), exact
# output bytes, the selection options, and refusals of bad input.
bats_require_minimum_version 1.5.0
load helper

# little-endian fields of the expected stream (sym-stream(5))
byte() { printf "\\$(printf '%03o' "$1")"; }
le16() { byte $(($1 & 255)); byte $((($1 >> 8) & 255)); }
le32() { le16 $(($1 & 65535)); le16 $((($1 >> 16) & 65535)); }
le64() { le32 "$1"; le32 0; }

# header H W NITEMS "META-VALUE" CLASS... (images, u8, c = 1, one
# metadata entry "source"; with INK set, a second one "ink")
header() {
	local h=$1 w=$2 n=$3 src=$4 slen=0 nmeta=1 c
	shift 4
	for c in "$@"; do slen=$((slen + 2 + ${#c})); done
	slen=$((slen + 2 + 6 + 4 + ${#src}))
	if [ -n "${INK:-}" ]; then
		slen=$((slen + 2 + 3 + 4 + ${#INK}))
		nmeta=2
	fi
	printf '\223SYM\r\n\032\n'
	le16 1; le16 0; byte 1; byte 1; le16 0
	le32 1; le32 "$h"; le32 "$w"
	le64 "$n"; le64 0
	le32 $#; le32 "$nmeta"; le32 "$slen"
	for c in "$@"; do le16 ${#c}; printf '%s' "$c"; done
	le16 6; printf source; le32 ${#src}; printf '%s' "$src"
	if [ -n "${INK:-}" ]; then
		le16 3; printf ink; le32 ${#INK}; printf '%s' "$INK"
	fi
}

# record LABEL PIXEL...
record() {
	local v
	byte 1; le32 "$1"
	shift
	for v in "$@"; do byte "$v"; done
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	# three 2x3 images, labels 1 0 1
	echo "0 10 20 30 40 50  1 2 3 4 5 6  255 0 255 0 255 0" |
	    mkidx img.idx 3 2 3
	echo "1 0 1" | mkidx lab.idx 3
}

# 20 images 2x2 of 4 classes (label i % 4), pixel values from i
mkmany() {
	awk 'BEGIN { for (i = 0; i < 20; i++)
	    print i, i + 1, i + 2, 200 - i }' | mkidx "$@" many.idx 20 2 2
	awk 'BEGIN { for (i = 0; i < 20; i++) print i % 4 }' |
	    mkidx "$@" manylab.idx 20
}

@test "sym-load: --help, --version, bad usage" {
	run -0 sym-load --help
	[ "${lines[0]}" = "usage: sym-load [-q] [--classes list] [--exclude-classes list] [--per-class n]" ]
	[[ "$output" == *"--size N|WxH             resize every image [as stored]"* ]]
	[[ "$output" == *"--seed S                 seed for --shuffle [1]"* ]]
	run -0 sym-load -V
	[ "$output" = "sym-load 0.1.0" ]
	run -2 --separate-stderr sym-load --bogus idx img.idx lab.idx
	[ -z "$output" ]
	[[ "$stderr" == *"usage: sym-load"* ]]
	run -2 --separate-stderr sym-load
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "sym-load: no source given" ]
	[ "${stderr_lines[1]}" = "usage: sym-load [-q] [--classes list] [--exclude-classes list] [--per-class n]" ]
	# a source with the wrong arguments says which it takes
	run -2 --separate-stderr sym-load idx img.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: idx takes IMAGES LABELS, not 1 argument" ]
	run -2 --separate-stderr sym-load png
	[ "$stderr" = "sym-load: png takes DIR, not 0 arguments" ]
	run -2 --separate-stderr sym-load fashion a b
	[ "$stderr" = "sym-load: fashion takes [DIR], not 2 arguments" ]
	run -2 --separate-stderr sym-load jpeg dir
	[ "$stderr" = "sym-load: unknown source 'jpeg' (idx, mnist, fashion, emnist, omniglot, png)" ]
	run -2 --separate-stderr sym-load --split letters idx img.idx lab.idx
	[ "$stderr" = "sym-load: --split: only for emnist" ]
	run -2 --separate-stderr sym-load --set valid mnist .
	[ "$stderr" = "sym-load: --set: 'valid' is not train or test" ]
}

@test "sym-load: bad option values exit 2 with nothing on stdout" {
	run -2 --separate-stderr sym-load --size 0x5 idx img.idx lab.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: --size: 0x5: each side must be in 1..4096" ]
	run -2 --separate-stderr sym-load --limit abc idx img.idx lab.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: --limit: 'abc' is not a whole number" ]
	run -2 --separate-stderr sym-load --per-class 0 idx img.idx lab.idx
	[ "$stderr" = "sym-load: --per-class: 0 is out of range 1..1000000000" ]
	run -2 --separate-stderr sym-load --size 3y4 idx img.idx lab.idx
	[ "$stderr" = "sym-load: --size: '3y4' is not N or WxH" ]
	run -2 --separate-stderr sym-load --split kanji emnist .
	[[ "$stderr" == "sym-load: --split: unknown split 'kanji'"* ]]
}

@test "sym-load: idx gives exact bytes" {
	run -0 --separate-stderr sym-load idx img.idx lab.idx
	[ "$stderr" = "sym-load: 3 images of 3x2 in 2 classes" ]
	{
		header 2 3 3 "idx img.idx lab.idx" 0 1
		record 1 0 10 20 30 40 50
		record 0 1 2 3 4 5 6
		record 1 255 0 255 0 255 0
	} > want.sym
	sym-load -q idx img.idx lab.idx > got.sym
	cmp got.sym want.sym
	# gzip files read the same
	gzip -k img.idx lab.idx
	sym-load -q idx img.idx.gz lab.idx.gz > gz.sym
	cmp <(tail -c 33 gz.sym) <(tail -c 33 want.sym)
}

@test "sym-load: --classes, --invert and -q, exact bytes" {
	{
		header 2 3 2 "idx img.idx lab.idx" 1
		record 0 255 245 235 225 215 205
		record 0 0 255 0 255 0 255
	} > want.sym
	run -0 --separate-stderr sym-load -q --invert --classes 1 idx img.idx lab.idx
	[ -z "$stderr" ]
	sym-load -q --invert --classes 1 idx img.idx lab.idx > got.sym
	cmp got.sym want.sym
	# --exclude-classes 0 is the same selection
	sym-load -q --invert --exclude-classes 0 idx img.idx lab.idx > ex.sym
	cmp ex.sym want.sym
}

@test "sym-load: --size resizes exactly (area down, bilinear up)" {
	# 2x3 -> 1x1 is the mean: (0+10+...+50)/6 = 25
	sym-load -q --size 1 --limit 1 idx img.idx lab.idx > s1.sym
	{
		header 1 1 1 "idx img.idx lab.idx" 0 1
		record 1 25
	} > want.sym
	cmp s1.sym want.sym
	# 3 wide -> 2 wide covers 1.5 pixels each: (0 + 5)/1.5, (15 + 20)/1.5
	# rows 2 -> 4 bilinear: clamp, 1/4, 3/4, clamp
	sym-load -q --size 2x4 --limit 1 idx img.idx lab.idx > s2.sym
	{
		header 4 2 1 "idx img.idx lab.idx" 0 1
		record 1 3 17 11 24 26 39 33 47
	} > want2.sym
	cmp s2.sym want2.sym
}

@test "sym-load: --per-class, --limit and selection by index range" {
	mkmany
	run -0 sym-info < <(sym-load -q --per-class 2 idx many.idx manylab.idx)
	[[ "$output" == *"records: 8"* ]]
	[[ "$output" == *"class: 3 3 2"* ]]
	sym-load -q --per-class 2 idx many.idx manylab.idx | sym-info -r > r.txt
	[ "$(grep -c '^item' r.txt)" = 8 ]
	[ "$(grep '^item' r.txt | cut -f3 | tr '\n' ' ')" = "0 1 2 3 0 1 2 3 " ]
	run -0 sym-info < <(sym-load -q --limit 5 --classes 1-2 idx many.idx manylab.idx)
	[[ "$output" == *"records: 5"* ]]
	[[ "$output" == *"classes: 2"* ]]
	[[ "$output" == *"class: 0 1 3"* ]]
	[[ "$output" == *"class: 1 2 2"* ]]
	run -0 sym-info < <(sym-load -q --classes 3,0 --exclude-classes 0 idx many.idx manylab.idx)
	[[ "$output" == *"classes: 1"* ]]
	[[ "$output" == *"class: 0 3 5"* ]]
}

@test "sym-load: --shuffle is deterministic under --seed" {
	mkmany -z
	sym-load -q --shuffle idx many.idx manylab.idx > a.sym
	sym-load -q --shuffle --seed 1 idx many.idx manylab.idx > b.sym
	sym-load -q --shuffle --seed 2 idx many.idx manylab.idx > c.sym
	sym-load -q idx many.idx manylab.idx > plain.sym
	cmp a.sym b.sym
	run -1 cmp -s a.sym c.sym
	run -1 cmp -s a.sym plain.sym
	run -0 sym-info a.sym
	[[ "$output" == *"meta: seed=1"* ]]
	[[ "$output" == *"records: 20"* ]]
	[[ "$output" == *"class: 0 0 5"* ]]
	# the same images, only reordered: compare sorted records
	split_records() { tail -c $((20 * 9)) "$1" | od -An -v -tu1 -w9 | sort; }
	[ "$(split_records a.sym)" = "$(split_records plain.sym)" ]
	[ "$(split_records c.sym)" = "$(split_records plain.sym)" ]
	# random picks per class are still 2 of each class
	run -0 sym-info < <(sym-load -q --shuffle --seed 9 --per-class 2 idx many.idx manylab.idx)
	[[ "$output" == *"class: 2 2 2"* ]]
	[[ "$output" == *"records: 8"* ]]
}

@test "sym-load: mnist folder, raw and gzip, --set" {
	mkdir mn
	mkmany -z
	mv many.idx mn/train-images-idx3-ubyte.gz
	mv manylab.idx mn/train-labels-idx1-ubyte.gz
	cp img.idx mn/t10k-images-idx3-ubyte
	cp lab.idx mn/t10k-labels-idx1-ubyte
	run -0 sym-info < <(sym-load -q mnist mn)
	[[ "$output" == *"meta: source=mnist mn train"* ]]
	[[ "$output" == *"records: 20"* ]]
	[[ "$output" == *"classes: 10"* ]]
	[[ "$output" == *"class: 9 9 0"* ]]
	sym-load -q mnist mn --set test > t.sym
	cmp <(tail -c 33 t.sym) <(sym-load -q idx img.idx lab.idx | tail -c 33)
	run -1 --separate-stderr sym-load mnist .
	[ -z "$output" ]
	[ "$stderr" = "sym-load: ./train-images-idx3-ubyte.gz: No such file or directory" ]
	# labels beyond the ten digits
	echo "1 0 12" | mkidx mn/t10k-labels-idx1-ubyte 3
	run -1 --separate-stderr sym-load mnist mn --set test
	[ -z "$output" ]
	[ "$stderr" = "sym-load: mn/t10k-labels-idx1-ubyte: label 12 of item 2 has no class" ]
}

@test "sym-load: emnist letters come out upright and named a..z" {
	mkdir em
	# upright 2x3 images A = 1 2 3 / 4 5 6, B = 9 8 7 / 6 5 4; EMNIST
	# stores each transposed: 3 rows of 2
	echo "1 4 2 5 3 6  9 6 8 5 7 4  0 0 0 0 0 7" |
	    mkidx -z em/emnist-letters-train-images-idx3-ubyte.gz 3 3 2
	echo "2 1 3" | mkidx -z em/emnist-letters-train-labels-idx1-ubyte.gz 3
	printf '1 65 97\n2 66 98\n3 67 99\n' > em/emnist-letters-mapping.txt
	sym-load -q emnist em > e.sym
	{
		header 2 3 3 "emnist em letters train" a b c
		record 1 1 2 3 4 5 6
		record 0 9 8 7 6 5 4
		record 2 0 0 0 0 0 7
	} > want.sym
	cmp e.sym want.sym
	# other splits: one character per class; uncompressed files too
	echo "1 4 2 5 3 6" | mkidx em/emnist-balanced-test-images-idx3-ubyte 1 3 2
	echo "36" | mkidx em/emnist-balanced-test-labels-idx1-ubyte 1
	printf '0 48\n10 65\n36 97\n' > em/emnist-balanced-mapping.txt
	run -0 sym-info -H < <(sym-load -q emnist em --split balanced --set test)
	[[ "$output" == *"class: 0 0"*"class: 1 A"*"class: 2 a"* ]]
	[[ "$output" == *"meta: source=emnist em balanced test"* ]]
	run -0 sym-info -H < <(sym-load -q emnist em --split balanced --set test --classes A,a)
	[[ "$output" == *"classes: 2"* ]]
	run -1 --separate-stderr sym-load emnist em --split digits
	[ -z "$output" ]
	[ "$stderr" = "sym-load: em/emnist-digits-train-images-idx3-ubyte.gz: No such file or directory" ]
}

@test "sym-load: omniglot tree, class ALPHABET/characterNN, ink high" {
	mkdir -p om/Beta/character01 om/Alpha/character02 om/Alpha/character01
	# 1-bit: black (0) strokes on white (255) paper
	echo "0 255 255 255" | mkpng -t gray1 om/Alpha/character01/b.png 2 2
	echo "255 0 255 255" | mkpng -t gray1 om/Alpha/character01/a.png 2 2
	echo "255 255 0 255" | mkpng -t gray1 om/Alpha/character02/x.png 2 2
	echo "255 255 255 0" | mkpng -t gray1 -i om/Beta/character01/y.png 2 2
	sym-load -q omniglot om > o.sym
	{
		header 2 2 4 "omniglot om" Alpha/character01 Alpha/character02 Beta/character01
		record 0 0 255 0 0
		record 0 255 0 0 0
		record 1 0 0 255 0
		record 2 0 0 0 255
	} > want.sym
	cmp o.sym want.sym
	# images out of place are skipped, with a word
	echo "0 0 0 0" | mkpng om/Alpha/stray.png 2 2
	run -0 --separate-stderr sym-load omniglot om
	[ "${stderr_lines[0]}" = "sym-load: om/Alpha/stray.png: not in DIR/ALPHABET/CHARACTER/, skipped" ]
	cmp <(sym-load -q omniglot om) want.sym
	rm om/Alpha/stray.png
	run -0 sym-info -H < <(sym-load -q omniglot om --classes Beta/character01,0)
	[[ "$output" == *"classes: 2"*"class: 0 Alpha/character01"*"class: 1 Beta/character01"* ]]
	# a pattern: one whole alphabet; one that matches nothing is an error
	run -0 sym-info -H < <(sym-load -q omniglot om --classes 'Alpha/*')
	[[ "$output" == *"classes: 2"*"class: 0 Alpha/character01"*"class: 1 Alpha/character02"* ]]
	run -0 sym-info -H < <(sym-load -q omniglot om --exclude-classes '*/character01')
	[[ "$output" == *"classes: 1"*"class: 0 Alpha/character02"* ]]
	run -1 --separate-stderr sym-load -q omniglot om --classes 'Gamma/*'
	[ "$stderr" = "sym-load: --classes: no class matches 'Gamma/*' in omniglot om" ]
	[ -z "$output" ]
	# --size 4: bilinear from 2x2
	run -0 sym-info < <(sym-load -q omniglot om --size 4)
	[[ "$output" == *"shape: 1x4x4"* ]]
}

@test "sym-load: --center and --ink-radius move and scale the ink, exact bytes" {
	mkdir -p om/A/character01
	# one dark dot at the top left of a 4x4 page
	echo "0 255 255 255 255 255 255 255 255 255 255 255 255 255 255 255" |
	    mkpng -t gray1 om/A/character01/a.png 4 4
	# centring moves by whole pixels: the dot (0, 0) goes to (1, 1), the
	# nearer of the middle pixels when the tie (1.5) rounds down
	sym-load -q --center omniglot om > c.sym
	{
		INK=--center header 4 4 1 "omniglot om" A/character01
		record 0 0 0 0 0  0 255 0 0  0 0 0 0  0 0 0 0
	} > want.sym
	cmp c.sym want.sym
	# --ink-radius 0.25: a dot counts as spread 1, 0.25 x 4 = 1, so no
	# scaling, but the centre (1.5, 1.5) is met exactly, bilinearly:
	# a quarter of the dot on each middle pixel
	sym-load -q --ink-radius 0.25 omniglot om > r.sym
	{
		INK="--ink-radius 0.25" header 4 4 1 "omniglot om" A/character01
		record 0 0 0 0 0  0 64 64 0  0 64 64 0  0 0 0 0
	} > want.sym
	cmp r.sym want.sym
	# before --size: normalised at the source's resolution, then resized
	# (2x2 blocks of the image above average to 16 each)
	sym-load -q --ink-radius 0.25 --size 2 omniglot om > rs.sym
	{
		INK="--ink-radius 0.25" header 2 2 1 "omniglot om" A/character01
		record 0 16 16 16 16
	} > want.sym
	cmp rs.sym want.sym
	# IDX images are normalised too (ink already high): a dot at the
	# bottom right of 2x3 goes to the middle column (the row is a tie,
	# 0.5 from either, and goes up)
	echo "0 0 0 0 0 90" | mkidx dot.idx 1 2 3
	echo "0" | mkidx dotlab.idx 1
	sym-load -q --center idx dot.idx dotlab.idx > i.sym
	{
		INK=--center header 2 3 1 "idx dot.idx dotlab.idx" 0
		record 0 0 90 0 0 0 0
	} > want.sym
	cmp i.sym want.sym
	run -2 --separate-stderr sym-load --ink-radius 0 omniglot om
	[ -z "$output" ]
	[ "$stderr" = "sym-load: --ink-radius: 0 is out of range 0.001..1" ]
	run -2 --separate-stderr sym-load --ink-radius x omniglot om
	[ "$stderr" = "sym-load: --ink-radius: 'x' is not a number" ]
}

@test "sym-load: png tree of 1-bit, palette, RGBA and more" {
	mkdir -p p/cat p/dog p/emu p/fox p/empty
	echo "0 255 255 0 255 0" | mkpng -t gray1 p/cat/1.png 3 2
	echo "0 100 200 255 50 150" | mkpng -t palette p/dog/1.png 3 2
	echo "0 100 200 255 50 150" | mkpng -t paltrns p/dog/2.png 3 2
	echo "0 100 200 255 50 150" | mkpng -t rgba p/emu/1.png 3 2
	echo "0 100 200 255 50 150" | mkpng -t gray16 p/fox/1.png 3 2
	echo "0 100 200 255 50 150" | mkpng -t ga p/fox/2.png 3 2
	echo "0 100 200 255 50 150" | mkpng -t rgb -i p/fox/3.png 3 2
	echo "notes" > p/cat/notes.txt
	echo "no pictures" > p/empty/readme
	run -0 --separate-stderr sym-load png p
	[ "${stderr_lines[0]}" = "sym-load: p/cat/notes.txt: not a .png file, skipped" ]
	[[ "$stderr" == *"sym-load: p/empty: no .png files, skipped"* ]]
	sym-load -q png p > p.sym 2>/dev/null
	{
		header 2 3 7 "png p" cat dog emu fox
		record 0 255 0 0 255 0 255
		record 1 255 155 55 0 205 105
		record 1 255 155 55 0 205 105
		record 2 255 155 55 0 205 105
		record 3 255 155 55 0 205 105
		record 3 255 155 55 0 205 105
		record 3 255 155 55 0 205 105
	} > want.sym
	cmp p.sym want.sym
	# sizes must agree, or --size makes them
	echo "0 0 0 0" | mkpng p/dog/3.png 2 2
	run -1 --separate-stderr sym-load -q png p
	[ -z "$output" ]
	[ "$stderr" = "sym-load: p/dog/3.png: size 2x2 differs from 3x2 of p/cat/1.png (use --size)" ]
	run -0 sym-info < <(sym-load -q --size 5x4 png p 2>/dev/null)
	[[ "$output" == *"shape: 1x4x5"* ]]
	[[ "$output" == *"records: 8"* ]]
}

@test "sym-load: png images right in DIR have no class" {
	# queries to classify: no class folder, label ffffffff
	mkdir -p q/cat
	echo "0 255" | mkpng q/b.png 2 1
	echo "255 0" | mkpng q/a.png 2 1
	echo "0 0" | mkpng q/cat/1.png 2 1
	run -0 --separate-stderr sym-load png q
	[ "$stderr" = "sym-load: 3 images of 2x1 in 1 class, 2 of them without a class" ]
	sym-load -q png q > q.sym
	{
		header 1 2 3 "png q" cat
		record 4294967295 0 255
		record 4294967295 255 0
		record 0 255 255
	} > want.sym
	cmp q.sym want.sym
	# --classes picks classes by name: the classless go
	sym-load -q --classes cat png q > c.sym
	{
		header 1 2 1 "png q" cat
		record 0 255 255
	} > want.sym
	cmp c.sym want.sym
	# --exclude-classes keeps them; --per-class counts them as one group
	sym-load -q --exclude-classes cat png q > x.sym
	{
		header 1 2 2 "png q"
		record 4294967295 0 255
		record 4294967295 255 0
	} > want.sym
	cmp x.sym want.sym
	run -0 sym-info < <(sym-load -q --per-class 1 png q)
	[[ "$output" == *"records: 2"*"class: 0 cat 1"*"unlabelled: 1"* ]]
	# through the pipeline: the truth column says "-"
	sym-embed -q --raw < q.sym > q.emb
	sym-load -q png q | sym-embed -q --raw | sym-match -s q.emb > m.tsv 2> m.err
	[ "$(cut -f 2 m.tsv | tr '\n' ' ')" = "- - cat " ]
	[ "$(head -n 1 m.err)" = "accuracy: 1.0000 (1 queries)" ]
}

@test "sym-load: shuffled folders are deterministic" {
	mkdir -p p/a p/b
	for i in 1 2 3 4 5 6; do
		echo "$i 0 0 0" | mkpng p/a/$i.png 2 2
		echo "0 0 0 $i" | mkpng p/b/$i.png 2 2
	done
	sym-load -q --shuffle --seed 3 png p > a.sym
	sym-load -q --shuffle --seed 3 png p > b.sym
	sym-load -q --shuffle --seed 4 png p > c.sym
	cmp a.sym b.sym
	run -1 cmp -s a.sym c.sym
	run -0 sym-info < <(sym-load -q --shuffle --seed 3 --per-class 2 png p)
	[[ "$output" == *"class: 0 a 2"*"class: 1 b 2"* ]]
}

@test "sym-load: bad IDX input fails with a message naming the file" {
	echo "1 0" | mkidx lab2.idx 2
	run -1 --separate-stderr sym-load idx img.idx lab2.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: img.idx: 3 images but 2 labels in lab2.idx" ]
	printf 'P5\n2 3\n255\nabcdef' > bad.idx
	run -1 --separate-stderr sym-load idx bad.idx lab.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: bad.idx: not an IDX file (magic 50350a32)" ]
	echo "1 2 3" | mkidx -t 13 f32.idx 3
	run -1 --separate-stderr sym-load idx img.idx f32.idx
	[ "$stderr" = "sym-load: f32.idx: unsupported IDX data type 0x0d (only 0x08, unsigned byte)" ]
	head -c 30 img.idx > cut.idx
	run -1 --separate-stderr sym-load idx cut.idx lab.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: cut.idx: truncated after 2 of 3 images" ]
	run -1 --separate-stderr sym-load idx img.idx nothere.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: nothere.idx: No such file or directory" ]
	run -1 --separate-stderr sym-load idx lab.idx lab.idx
	[ "$stderr" = "sym-load: lab.idx: not an image file (1 dimensions, want 3)" ]
	# absurd dims in the header
	printf '\0\0\010\003\0\0\0\001\001\0\0\0\0\0\0\001' > huge.idx
	run -1 --separate-stderr sym-load idx huge.idx lab.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: huge.idx: absurd dimension 16777216" ]
}

@test "sym-load: truncated and corrupt gzip IDX" {
	awk 'BEGIN { for (i = 0; i < 400 * 64; i++) print (i * 7919 + int(i / 13)) % 251 }' |
	    mkidx -z big.gz 400 8 8
	awk 'BEGIN { for (i = 0; i < 400; i++) print i % 3 }' | mkidx -z biglab.gz 400
	sym-load -q idx big.gz biglab.gz > /dev/null
	size=$(stat -c %s big.gz)
	head -c $((size / 2)) big.gz > cut.gz
	run -1 --separate-stderr sym-load idx cut.gz biglab.gz
	[ -z "$output" ]
	[[ "$stderr" =~ ^"sym-load: cut.gz: truncated after "[0-9]+" of 400 images"$ ]]
	cp big.gz bad.gz
	printf 'garbage!garbage!garbage!' | dd of=bad.gz bs=1 seek=$((size / 2)) conv=notrunc status=none
	run -1 --separate-stderr sym-load idx bad.gz biglab.gz
	[ -z "$output" ]
	[[ "$stderr" == "sym-load: bad.gz: corrupt gzip data ("*")" ]]
}

@test "sym-load: bad PNG input and folders" {
	run -1 --separate-stderr sym-load png nothere
	[ -z "$output" ]
	[ "$stderr" = "sym-load: nothere: No such file or directory" ]
	mkdir -p e/a
	echo text > e/a/readme.txt
	run -1 --separate-stderr sym-load -q png e
	[ -z "$output" ]
	[ "${stderr_lines[-1]}" = "sym-load: e: no .png images in DIR/ or DIR/CLASS/" ]
	mkdir empty
	run -1 --separate-stderr sym-load omniglot empty
	[ "$stderr" = "sym-load: empty: no .png images in DIR/ALPHABET/CHARACTER/" ]
	mkdir -p t/a
	awk 'BEGIN { for (i = 0; i < 64 * 64; i++) print (i * 37) % 256 }' |
	    mkpng t/a/1.png 64 64
	awk 'BEGIN { for (i = 0; i < 64 * 64; i++) print (i * 37) % 256 }' |
	    mkpng t/a/2.png 64 64
	size=$(stat -c %s t/a/2.png)
	head -c $((size / 2)) t/a/2.png > t/a/3.png
	run -1 --separate-stderr sym-load png t
	[ -z "$output" ]
	[[ "$stderr" == "sym-load: t/a/3.png: bad PNG: "* ]]
	rm t/a/3.png
	mkpng -H t/a/4.png 100000 100000
	run -1 --separate-stderr sym-load png t
	[ -z "$output" ]
	[ "$stderr" = "sym-load: t/a/4.png: absurd PNG size 100000x100000" ]
	rm t/a/4.png
	echo "not a png" > t/a/5.png
	run -1 --separate-stderr sym-load png t
	[ "$stderr" = "sym-load: t/a/5.png: not a PNG file" ]
}

@test "sym-load: unknown class names and bad ranges" {
	run -1 --separate-stderr sym-load --classes 0,Foo idx img.idx lab.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: --classes: no class 'Foo' in idx img.idx lab.idx" ]
	run -1 --separate-stderr sym-load --exclude-classes 0-5 idx img.idx lab.idx
	[ -z "$output" ]
	[ "$stderr" = "sym-load: --exclude-classes: 0-5: class indices are 0..1" ]
	run -1 --separate-stderr sym-load idx img.idx lab.idx --classes 1-0
	[ "$stderr" = "sym-load: --classes: 1-0: a range goes from low to high" ]
	run -1 --separate-stderr sym-load --classes 0 --exclude-classes 0 idx img.idx lab.idx
	[ "$stderr" = "sym-load: no classes selected" ]
}

@test "sym-load: fashion train is 60000 images; a closed pipe is quiet" {
	[ -d "$FASHION" ] || skip "no Fashion-MNIST in $FASHION"
	if command -v sym-info > /dev/null; then
		run -0 sym-info < <(sym-load -q fashion --set train)
		[[ "$output" == *"kind: images"* ]]
		[[ "$output" == *"records: 60000"* ]]
		[[ "$output" == *"shape: 1x28x28"* ]]
		[[ "$output" == *"classes: 10"* ]]
		[[ "$output" == *"class: 9 Ankle boot 6000"* ]]
	else
		n=$(sym-load -q fashion --set train | wc -c)
		[ "$n" -gt $((60000 * 789)) ]
	fi
	run -0 sym-info -H < <(sym-load -q fashion --set test --classes Sandal,Bag --limit 10)
	[[ "$output" == *"class: 0 Sandal"*"class: 1 Bag"* ]]
	run --separate-stderr bash -c 'sym-load fashion | head -c 100 > /dev/null'
	[ -z "$stderr" ]
}

@test "sym-load: a data folder and the same with a slash write the same bytes" {
	d=/usr/share/datasets/fashion-mnist
	sym-load -q --limit 2 fashion > a.sym
	sym-load -q --limit 2 fashion "$d/" > b.sym
	sym-load -q --limit 2 fashion "$d//" > c.sym
	cmp a.sym b.sym
	cmp a.sym c.sym
	[ "$(sym-info a.sym | sed -n 's/^meta: source=//p')" = "fashion $d train" ]
}

#!/usr/bin/env bats
# The bad-input table: one test per row. Every refusal is one stderr line
# "sym-CMD: FILE: problem", exit status 1 (bad input) or 2 (usage), and
# nothing at all on stdout that a next stage could take for data.
bats_require_minimum_version 1.5.0
load helper

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	sym-load -q fashion --classes 0-2 --per-class 10 > img.sym
	sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 64 -s 1 \
	    -o m.model < img.sym
	sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 64 -s 2 \
	    -o m2.model < img.sym
	sym-embed -q -m m.model < img.sym > e.sym
	sym-embed -q -m m2.model < img.sym > e2.sym
}

setup() {
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
	D=$BATS_FILE_TMPDIR
}

# After `run -N --separate-stderr ...`: stdout is empty and stderr is the
# one line $1. Messages call standard input "stdin".
is_err() {
	[ -z "$output" ] && [ "${#stderr_lines[@]}" -eq 1 ] &&
	    [ "$stderr" = "$1" ] && return 0
	printf 'stdout: %q\nstderr: %s\nwant:   %s\n' "$output" "$stderr" "$1"
	return 1
}

# The same with a glob pattern.
like_err() {
	# shellcheck disable=SC2053
	[ -z "$output" ] && [ "${#stderr_lines[@]}" -eq 1 ] &&
	    [[ "$stderr" == $1 ]] && return 0
	printf 'stdout: %q\nstderr: %s\nwant:   %s\n' "$output" "$stderr" "$1"
	return 1
}

# True when the commands were built with AddressSanitizer, which maps
# terabytes of shadow memory and so cannot run under ulimit -v.
asan() {
	grep -q __asan_init "$SYM_BIN/sym-info"
}

# little-endian fields of a stream header (sym-stream(5))
byte() { printf "\\$(printf '%03o' "$1")"; }
le16() { byte $(($1 & 255)); byte $((($1 >> 8) & 255)); }
le32() { le16 $(($1 & 65535)); le16 $((($1 >> 16) & 65535)); }
le64() { le32 "$1"; le32 0; }

# stream_header KIND DTYPE C H W ITEMS: no classes, no metadata
stream_header() {
	printf '\223SYM\r\n\032\n'
	le16 1; le16 0; byte "$1"; byte "$2"; le16 0
	le32 "$3"; le32 "$4"; le32 "$5"
	le64 "$6"; le64 0
	le32 0; le32 0; le32 0
}

# ---- empty input: every command that reads a stream ----

@test "bad input: empty stdin to sym-pairs" {
	run -1 --separate-stderr sym-pairs < /dev/null
	is_err "sym-pairs: stdin: empty input (expected a sym stream)"
}

@test "bad input: empty stdin to sym-train" {
	run -1 --separate-stderr sym-train -o m.model < /dev/null
	is_err "sym-train: stdin: empty input (expected a sym stream)"
	[ ! -e m.model ]
}

@test "bad input: empty stdin to sym-embed" {
	run -1 --separate-stderr sym-embed -m "$D/m.model" < /dev/null
	is_err "sym-embed: stdin: empty input (expected a sym stream)"
}

@test "bad input: empty stdin to sym-match" {
	run -1 --separate-stderr sym-match -s "$D/e.sym" < /dev/null
	is_err "sym-match: stdin: empty input (expected a sym stream)"
}

@test "bad input: empty stdin to sym-show" {
	run -1 --separate-stderr sym-show -o x.png < /dev/null
	is_err "sym-show: stdin: empty input (expected a sym stream)"
	[ ! -e x.png ]
}

@test "bad input: empty stdin to sym-info" {
	run -1 --separate-stderr sym-info < /dev/null
	is_err "sym-info: stdin: empty input (expected a sym stream)"
}

@test "bad input: every command calls standard input stdin" {
	run -1 --separate-stderr sym-train -o m.model < /dev/null
	[ "$stderr" = "sym-train: stdin: empty input (expected a sym stream)" ]
	run -1 --separate-stderr sym-embed -m "$D/m.model" < /dev/null
	[ "$stderr" = "sym-embed: stdin: empty input (expected a sym stream)" ]
}

# getopt prints these itself, from argv[0]: the program's name as in
# every other message, not the path it was started by.
@test "bad input: getopt's own messages name the program, not its path" {
	for c in sym-load sym-pairs sym-train sym-embed sym-match sym-info sym-show; do
		run -2 --separate-stderr "$SYM_BIN/$c" --bogus
		[ "${stderr_lines[0]}" = "$c: unrecognized option '--bogus'" ]
		run -2 --separate-stderr "$SYM_BIN/$c" -%
		[ "${stderr_lines[0]}" = "$c: invalid option -- '%'" ]
	done
	run -2 --separate-stderr "$SYM_BIN/sym-load" --classes
	[ "${stderr_lines[0]}" = "sym-load: option '--classes' requires an argument" ]
}

@test "bad input: sym-load of a missing folder" {
	run -1 --separate-stderr sym-load png nothere
	is_err "sym-load: nothere: No such file or directory"
	run -1 --separate-stderr sym-load omniglot nothere
	like_err "sym-load: nothere*"
}

# ---- not a stream, or cut short ----

@test "bad input: text instead of a stream, to every stream reader" {
	echo hello > text
	for c in sym-pairs "sym-train -o m.model" "sym-embed -m $D/m.model" \
	    "sym-match -s $D/e.sym" "sym-show -o x.png" sym-info; do
		run -1 --separate-stderr $c < text
		is_err "${c%% *}: stdin: not a sym stream (bad magic)"
	done
	run -1 --separate-stderr sym-match -s text < "$D/e.sym"
	is_err "sym-match: text: not a sym stream (bad magic)"
	[ "$(ls -A)" = text ]
}

@test "bad input: a stream cut inside a record, to every batch reader" {
	head -c 2000 "$D/img.sym" > cut
	for c in sym-pairs "sym-train -o m.model" "sym-show -o x.png" sym-info; do
		run -1 --separate-stderr $c < cut
		is_err "${c%% *}: stdin: truncated stream after 2 of 30 records"
	done
	head -c 2000 "$D/e.sym" > ecut
	run -1 --separate-stderr sym-match -s "$D/e.sym" < ecut
	like_err "sym-match: stdin: truncated stream after 3 of 30 records"
	run -1 --separate-stderr sym-match -s ecut < "$D/e.sym"
	like_err "sym-match: ecut: truncated stream after 3 of 30 records"
	[ "$(ls -A)" = "cut
ecut" ]
}

@test "bad input: sym-embed streams, so a cut input gives a cut output" {
	# sym-embed writes as it reads; what it wrote before the error must
	# itself fail downstream, never pass for a complete stream
	head -c 2000 "$D/img.sym" > cut
	run -1 --separate-stderr bash -c "exec sym-embed -m $D/m.model < cut > out.sym"
	[ "$stderr" = "sym-embed: stdin: truncated stream after 2 of 30 records" ] ||
	    [ "$stderr" = "sym-embed: stdin: truncated stream after 2 of 30 records" ]
	run -1 sym-info -c out.sym
}

@test "bad input: sym-embed of a cut stream of unknown length" {
	awk 'BEGIN { for (i = 0; i < 20; i++) { printf "%s", i % 2 ? "a" : "b"
	    for (j = 0; j < 784; j++) printf " %d", (i * j) % 256; print "" } }' |
	    mkimages 28 28 - > unk.sym
	head -c 5000 unk.sym > cut
	run -1 bash -c "exec sym-embed -m $D/m.model < cut > out.sym"
	run -1 sym-info -c out.sym
}

# ---- a stream of the wrong kind ----

@test "bad input: embeddings into sym-embed" {
	run -1 --separate-stderr sym-embed -m "$D/m.model" < "$D/e.sym"
	is_err "sym-embed: stdin: expected images or pairs, got embeddings"
}

@test "bad input: embeddings into sym-train" {
	run -1 --separate-stderr sym-train -o m.model < "$D/e.sym"
	is_err "sym-train: stdin: expected images or pairs, got embeddings"
	[ -z "$(ls -A)" ]
}

@test "bad input: images into sym-match, as queries and as support" {
	run -1 --separate-stderr sym-match -s "$D/e.sym" < "$D/img.sym"
	is_err "sym-match: stdin: expected embeddings, got images"
	run -1 --separate-stderr sym-match -s "$D/img.sym" < "$D/e.sym"
	is_err "sym-match: $D/img.sym: expected embeddings, got images"
}

@test "bad input: pairs into sym-pairs, embeddings into sym-show" {
	sym-pairs -q -n 10 < "$D/img.sym" > p.sym
	run -1 --separate-stderr sym-pairs < p.sym
	is_err "sym-pairs: stdin: expected images or embeddings, got pairs"
	run -1 --separate-stderr sym-show -o x.png < "$D/e.sym"
	is_err "sym-show: stdin: f32 embeddings cannot be drawn (u8 images or pairs only)"
	[ ! -e x.png ]
}

# ---- streams that do not fit the model or each other ----

@test "bad input: images of another shape than the model's (sym-embed)" {
	sym-load -q fashion --classes 0-2 --per-class 2 --size 14 > s14.sym
	run -1 --separate-stderr sym-embed -m "$D/m.model" < s14.sym
	is_err "sym-embed: stdin: images are 1x14x14, but $D/m.model wants 1x28x28 (use sym-load --size 28)"
}

@test "bad input: support and queries embedded by different models (sym-match)" {
	id1=$(sym-info "$D/m.model" | sed -n 's/^model-id: //p')
	id2=$(sym-info "$D/m2.model" | sed -n 's/^model-id: //p')
	[ -n "$id1" ] && [ "$id1" != "$id2" ]
	run -1 --separate-stderr sym-match -s "$D/e.sym" < "$D/e2.sym"
	is_err "sym-match: stdin: embedded by model $id2, support by $id1"
	# nor two support files of different models
	run -1 --separate-stderr sym-match -s "$D/e.sym" -s "$D/e2.sym" < "$D/e.sym"
	is_err "sym-match: $D/e2.sym: embedded by model $id2, support by $id1"
}

# ---- too few classes or images ----

@test "bad input: a single class (sym-pairs)" {
	sym-load -q fashion --classes 3 --per-class 5 > one.sym
	run -1 --separate-stderr sym-pairs < one.sym
	is_err "sym-pairs: stdin: need at least 2 classes with images, got 1"
}

@test "bad input: a single class (sym-train)" {
	sym-load -q fashion --classes 3 --per-class 5 > one.sym
	run -1 --separate-stderr sym-train -o m.model < one.sym
	is_err "sym-train: stdin: need at least 2 classes with images, got 1"
	[ ! -e m.model ]
}

@test "bad input: every class has one image, pairs need two (sym-pairs, sym-train)" {
	sym-load -q fashion --per-class 1 > single.sym
	run -1 --separate-stderr sym-pairs < single.sym
	is_err "sym-pairs: stdin: no class has 2 images, so no same-class pair exists"
	run -1 --separate-stderr sym-train -o m.model < single.sym
	is_err "sym-train: stdin: no class has 2 images, so no same-class pair exists"
	[ ! -e m.model ]
}

# ---- numbers that are not numbers ----

@test "bad input: NaN in the queries (sym-match)" {
	printf 'a 1 2\nb 3 4\n' | mkemb > ok.sym
	printf 'a 1 2\nb 3 nan\n' | mkemb > nan.sym
	run -1 --separate-stderr sym-match -s ok.sym < nan.sym
	is_err "sym-match: stdin: item 1: value 1 is not finite (nan)"
}

@test "bad input: Inf in the support set (sym-match)" {
	printf 'a 1 2\nb 3 4\n' | mkemb > ok.sym
	printf 'a inf 2\nb 3 4\n' | mkemb > inf.sym
	printf 'a 1 2\nb 3 -inf\n' | mkemb > minf.sym
	run -1 --separate-stderr sym-match -s inf.sym < ok.sym
	is_err "sym-match: inf.sym: item 0: value 0 is not finite (inf)"
	run -1 --separate-stderr sym-match -s minf.sym < ok.sym
	is_err "sym-match: minf.sym: item 1: value 1 is not finite (-inf)"
}

# ---- image files ----

@test "bad input: a class folder named with a tab (sym-load png)" {
	# the name would split sym-match's TSV columns
	mkdir -p "pics/a	b"
	echo "0 0" | mkpng "pics/a	b/1.png" 2 1
	run -1 --separate-stderr sym-load png pics
	[ -z "$output" ]
	is_err "sym-load: pics/a	b: a class name with a control character (0x09): rename the folder"
}

@test "bad input: sym-load idx refuses a pipe for its image file, takes one for labels" {
	img=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
	lab=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
	run -1 --separate-stderr bash -c "sym-load --limit 1 idx <(cat $img) $lab"
	[ -z "$output" ]
	[[ "$stderr" == "sym-load: /dev/fd/"*": not a regular file, but the image file is read more than once" ]]
	run -0 bash -c "sym-load -q --limit 1 idx $img <(cat $lab) | sym-info | grep -c '^class: '"
	[ "$output" = 10 ]
}

@test "bad input: a class folder whose name is not UTF-8 (sym-load png)" {
	mkdir -p pics/$'\xff\xfe'
	echo "0 0" | mkpng pics/$'\xff\xfe'/1.png 2 1
	run -1 --separate-stderr sym-load png pics
	[ -z "$output" ]
	is_err "sym-load: pics/"$'\xff\xfe'": a class name that is not UTF-8: rename the folder"
}

@test "bad input: nothing in a png or omniglot tree is dropped without a word" {
	mkdir -p pics/A/deeper pics/B om/Alpha/c01 om/Empty
	echo "0 0" | mkpng pics/A/1.png 2 1
	echo "0 0" | mkpng pics/A/deeper/2.png 2 1
	echo "0 0" | mkpng om/Alpha/c01/1.png 2 1
	run -0 --separate-stderr bash -c "sym-load png pics > p.sym"
	[ "${stderr_lines[0]}" = "sym-load: pics/A/deeper: a folder inside a class's folder, skipped" ]
	[ "${stderr_lines[1]}" = "sym-load: pics/B: no .png files, skipped" ]
	run -0 --separate-stderr bash -c "sym-load omniglot om > o.sym"
	[ "${stderr_lines[0]}" = "sym-load: om/Empty: no character folders, skipped" ]
	# a dangling link is an error, not a file silently missing
	ln -s nothere.png pics/A/0.png
	run -1 --separate-stderr sym-load png pics
	[ -z "$output" ]
	[ "${stderr_lines[-1]}" = "sym-load: pics/A/0.png: No such file or directory" ]
	# hidden files are ignored, as ls does
	rm pics/A/0.png
	echo "0 0" | mkpng pics/A/.hidden.png 2 1
	sym-load -q png pics > h.sym
	[ "$(sym-info h.sym | sed -n 's/^records: //p')" = 1 ]
	# a folder and the same with a slash are one source: the same bytes
	sym-load -q png pics/ > h2.sym
	cmp h.sym h2.sym
	# class positions in a source without classes
	mkdir loose
	echo "0 0" | mkpng loose/1.png 2 1
	run -1 --separate-stderr sym-load --classes 0 png loose
	is_err "sym-load: --classes: 0: png loose has no classes"
}

@test "bad input: a folder with no images (sym-load png)" {
	mkdir -p empty pics/a
	echo text > pics/a/readme.txt
	run -1 --separate-stderr sym-load png empty
	is_err "sym-load: empty: no .png images in DIR/ or DIR/CLASS/"
	run -1 --separate-stderr sym-load -q png pics
	is_err "sym-load: pics: no .png images in DIR/ or DIR/CLASS/"
	# without -q, warnings name what was skipped; the error comes last
	run -1 --separate-stderr sym-load png pics
	[ -z "$output" ]
	[ "${stderr_lines[-1]}" = "sym-load: pics: no .png images in DIR/ or DIR/CLASS/" ]
	[ "${stderr_lines[0]}" = "sym-load: pics/a/readme.txt: not a .png file, skipped" ]
}

@test "bad input: an unreadable file (chmod 000, as a user other than root)" {
	[ "$(id -u)" != 0 ] || skip "root reads files of mode 000 (see the /proc/self/mem row)"
	cp "$D/img.sym" locked.sym
	chmod 000 locked.sym
	run -1 --separate-stderr sym-info locked.sym
	is_err "sym-info: locked.sym: Permission denied"
	cp "$D/m.model" locked.model
	chmod 000 locked.model
	run -1 --separate-stderr sym-embed -m locked.model < "$D/img.sym"
	is_err "sym-embed: locked.model: Permission denied"
}

@test "bad input: a file that opens but fails to read (/proc/self/mem, EIO even for root)" {
	# reading /proc/self/mem at offset 0 (an unmapped address) fails
	# with EIO, for any user
	run -1 --separate-stderr sym-info /proc/self/mem
	is_err "sym-info: /proc/self/mem: Input/output error"
	run -1 --separate-stderr sym-embed -m /proc/self/mem < "$D/img.sym"
	is_err "sym-embed: /proc/self/mem: read error: Input/output error"
	run -1 --separate-stderr sym-pairs /proc/self/mem
	like_err "sym-pairs: /proc/self/mem: *Input/output error"
	run -1 --separate-stderr sym-load idx /proc/self/mem /proc/self/mem
	like_err "sym-load: /proc/self/mem: *Input/output error"
}

@test "bad input: a folder where a file is wanted" {
	mkdir dir
	run -1 --separate-stderr sym-info dir
	is_err "sym-info: dir: Is a directory"
	run -1 --separate-stderr sym-embed -m dir < "$D/img.sym"
	is_err "sym-embed: dir: read error: Is a directory"
	run -1 --separate-stderr sym-pairs dir
	is_err "sym-pairs: dir: read error: Is a directory"
	run -1 --separate-stderr sym-match -s dir < "$D/e.sym"
	is_err "sym-match: dir: read error: Is a directory"
	run -1 --separate-stderr sym-load idx dir dir
	is_err "sym-load: dir: read error: Is a directory"
}

@test "bad input: a truncated PNG (sym-load png)" {
	mkdir -p p/a p/b
	seq 0 15 | mkpng -t gray8 p/a/1.png 4 4
	seq 0 15 | mkpng -t gray8 p/b/1.png 4 4
	sym-load -q png p > /dev/null
	head -c 60 p/a/1.png > p/a/2.png
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/2.png: bad PNG: truncated file (IDAT chunk of 20 bytes at byte 33)"
	# cut inside the IEND chunk's own header
	head -c 70 p/a/1.png > p/a/2.png
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/2.png: bad PNG: truncated file"
	# cut inside the header
	head -c 20 p/a/1.png > p/a/2.png
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/2.png: bad PNG: truncated header"
}

@test "bad input: a PNG chunk that claims more bytes than the file has (sym-load png)" {
	# A valid signature and IHDR, then an sPLT chunk claiming 1.9 GB in
	# a 50-byte file (the fuzzer's find): libpng would allocate and touch
	# the 1.9 GB before noticing; the chunk walk refuses it first.
	mkdir -p p/a p/b
	seq 0 15 | mkpng -t gray8 p/b/1.png 4 4
	{ head -c 33 p/b/1.png; printf '\162\0\0\0sPLTpalette\0\10'; } > p/a/1.png
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/1.png: bad PNG: truncated file (sPLT chunk of 1912602624 bytes at byte 33)"
	{ head -c 33 p/b/1.png; printf '\1\0\0\0\1\2\3\4data'; } > p/a/1.png
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/1.png: bad PNG: truncated file (corrupt chunk of 16777216 bytes at byte 33)"
	# past the 2^31 - 1 the format allows
	{ head -c 33 p/b/1.png; printf '\377\0\0\0IDATdata'; } > p/a/1.png
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/1.png: bad PNG: chunk length 4278190080 out of range"
}

@test "bad input: a PNG with absurd dimensions in its header (sym-load png)" {
	mkdir -p p/a p/b
	seq 0 15 | mkpng -t gray8 p/b/1.png 4 4
	mkpng -H p/a/1.png 1000000 1000000
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/1.png: absurd PNG size 1000000x1000000"
	mkpng -H p/a/1.png 4294967295 1
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/1.png: absurd PNG size 4294967295x1"
	mkpng -H p/a/1.png 0 5
	run -1 --separate-stderr sym-load png p
	is_err "sym-load: p/a/1.png: absurd PNG size 0x5"
}

@test "bad input: an IDX file whose header claims more images than it holds" {
	awk 'BEGIN { for (i = 0; i < 40 * 16; i++) print i % 251 }' |
	    mkidx img.idx 40 4 4
	awk 'BEGIN { for (i = 0; i < 50; i++) print i % 3 }' | mkidx lab.idx 50
	# patch the image count from 40 to 50
	printf '\0\0\0\062' | dd of=img.idx bs=1 seek=4 conv=notrunc status=none
	run -1 --separate-stderr sym-load idx img.idx lab.idx
	is_err "sym-load: img.idx: truncated after 40 of 50 images"
	# and labels that claim more than they hold
	awk 'BEGIN { for (i = 0; i < 50 * 16; i++) print i % 251 }' |
	    mkidx img.idx 50 4 4
	head -c 40 lab.idx > cut.idx
	run -1 --separate-stderr sym-load idx img.idx cut.idx
	is_err "sym-load: cut.idx: truncated after 32 of 50 labels"
}

@test "bad input: a gzip file corrupt midway (sym-load idx)" {
	awk 'BEGIN { for (i = 0; i < 400 * 64; i++) print (i * 7919 + int(i / 13)) % 251 }' |
	    mkidx -z img.gz 400 8 8
	awk 'BEGIN { for (i = 0; i < 400; i++) print i % 3 }' | mkidx -z lab.gz 400
	size=$(stat -c %s img.gz)
	cp img.gz bad.gz
	printf 'garbage!garbage!garbage!' |
	    dd of=bad.gz bs=1 seek=$((size / 2)) conv=notrunc status=none
	run -1 --separate-stderr sym-load idx bad.gz lab.gz
	like_err "sym-load: bad.gz: corrupt gzip data (*)"
}

@test "bad input: a gzip file whose data is whole but whose crc is wrong" {
	awk 'BEGIN { for (i = 0; i < 400 * 64; i++) print (i * 7919 + int(i / 13)) % 251 }' |
	    mkidx -z img.gz 400 8 8
	awk 'BEGIN { for (i = 0; i < 400; i++) print i % 3 }' | mkidx -z lab.gz 400
	size=$(stat -c %s img.gz)
	# the trailer is crc32 then length: every image inflates fine, and
	# only the end of the file tells
	printf '\377\377\377\377' |
	    dd of=img.gz bs=1 seek=$((size - 8)) conv=notrunc status=none
	run -1 --separate-stderr sym-load idx img.gz lab.gz
	is_err "sym-load: img.gz: corrupt gzip data (incorrect data check)"
	# without its trailer: every image is there, but nothing checks them
	head -c $((size - 8)) img.gz > cut.gz
	run -1 --separate-stderr sym-load idx cut.gz lab.gz
	is_err "sym-load: cut.gz: truncated gzip data (its end and checksum are missing)"
}

# ---- model files ----

@test "bad input: a model with one flipped byte (sym-embed)" {
	cp "$D/m.model" flip.model
	size=$(stat -c %s flip.model)
	printf '\125' | dd of=flip.model bs=1 seek=$((size / 2)) conv=notrunc status=none
	! cmp -s flip.model "$D/m.model"
	run -1 --separate-stderr sym-embed -m flip.model < "$D/img.sym"
	is_err "sym-embed: flip.model: checksum mismatch (file damaged)"
}

@test "bad input: a model with one flipped byte (sym-info)" {
	cp "$D/m.model" flip.model
	# a byte of the header this time, and one of the checksum itself
	printf '\377' | dd of=flip.model bs=1 seek=20 conv=notrunc status=none
	run -1 --separate-stderr sym-info flip.model
	is_err "sym-info: flip.model: checksum mismatch (file damaged)"
	run -1 --separate-stderr sym-info --check flip.model
	is_err "sym-info: flip.model: checksum mismatch (file damaged)"
	cp "$D/m.model" flip.model
	size=$(stat -c %s flip.model)
	last=$(tail -c 1 flip.model | od -An -tu1 | tr -d ' ')
	byte $((last ^ 1)) | dd of=flip.model bs=1 seek=$((size - 1)) conv=notrunc status=none
	run -1 --separate-stderr sym-info -c flip.model
	is_err "sym-info: flip.model: checksum mismatch (file damaged)"
}

@test "bad input: a model of a newer version (sym-embed, sym-info)" {
	cp "$D/m.model" new.model
	# major version 2 at offset 8, with a correct checksum
	modpatch new.model 8 2 0
	run -1 --separate-stderr sym-embed -m new.model < "$D/img.sym"
	is_err "sym-embed: new.model: model version 2.0 is newer than this program (1.x)"
	run -1 --separate-stderr sym-info new.model
	is_err "sym-info: new.model: model version 2.0 is newer than this program (1.x)"
	# modpatch itself: patching the same bytes back gives the file back
	modpatch new.model 8 1 0
	cmp new.model "$D/m.model"
}

@test "bad input: a model with a flipped byte anywhere is refused" {
	size=$(stat -c %s "$D/m.model")
	RANDOM=5
	for n in $(seq 1 40); do
		# the first 64 bytes (magic, version, header), then anywhere
		off=$((n <= 16 ? RANDOM % 64 : (RANDOM * 32768 + RANDOM) % size))
		cp "$D/m.model" flip.model
		old=$(od -An -tu1 -j "$off" -N 1 flip.model | tr -d ' ')
		byte $((old ^ (1 << (RANDOM % 8)))) |
		    dd of=flip.model bs=1 seek="$off" conv=notrunc status=none
		run -1 --separate-stderr sym-info -c flip.model
		like_err "sym-info: flip.model: *" || { echo "offset $off"; false; }
	done
	# a damaged checkpoint is not resumed
	run -1 --separate-stderr sym-train -q --resume flip.model -o m.model < "$D/img.sym"
	like_err "sym-train: flip.model: *"
	[ ! -e m.model ]
}

@test "bad input: a model of a newer minor version is read, and sym-info says which" {
	cp "$D/m.model" minor.model
	modpatch minor.model 10 1 0
	sym-embed -q -m minor.model < "$D/img.sym" > e.sym
	sym-info -c e.sym
	run -0 sym-info minor.model
	[[ "$output" == *"format: sym model 1.1"* ]]
}

@test "bad input: a stream given as the model, a model as the stream" {
	run -1 --separate-stderr sym-embed -m "$D/img.sym" < "$D/img.sym"
	is_err "sym-embed: $D/img.sym: not a sym model"
	run -1 --separate-stderr sym-pairs < "$D/m.model"
	is_err "sym-pairs: stdin: not a sym stream (bad magic)"
}

# ---- output that cannot be written ----

@test "bad input: sym-train -o into a missing folder" {
	run -1 --separate-stderr sym-train -o nodir/m.model < "$D/img.sym"
	is_err "sym-train: nodir/m.model: No such file or directory"
	[ -z "$(ls -A)" ]
}

@test "bad input: sym-train -o /dev/full" {
	run -1 --separate-stderr sym-train -q --arch mlp -e 1 --pairs-per-epoch 64 -o /dev/full < "$D/img.sym"
	is_err "sym-train: /dev/full: write error: No space left on device"
	# a link to /dev/full is written through, and stays a link
	ln -s /dev/full m.model
	run -1 --separate-stderr sym-train -q --arch mlp -e 1 --pairs-per-epoch 64 -o m.model < "$D/img.sym"
	is_err "sym-train: m.model: write error: No space left on device"
	[ -L m.model ]
}

@test "bad input: a failing write leaves the existing model and checkpoint as they were" {
	# ulimit -f makes the write of the 400 KB model fail like a full disk
	cp "$D/m.model" m.model
	cp "$D/m2.model" c.ckpt
	run -1 --separate-stderr bash -c "ulimit -f 100; trap '' XFSZ
	    exec sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 64 -s 5 -o m.model < $D/img.sym"
	is_err "sym-train: m.model: write error: File too large"
	cmp m.model "$D/m.model"
	# the checkpoint written at the end of epoch 1 fails first
	run -1 --separate-stderr bash -c "ulimit -f 100; trap '' XFSZ
	    exec sym-train -q -t 1 --arch mlp -e 2 --pairs-per-epoch 64 -s 5 --checkpoint c.ckpt -o m.model < $D/img.sym"
	is_err "sym-train: c.ckpt: write error: File too large"
	cmp m.model "$D/m.model"
	cmp c.ckpt "$D/m2.model"
	# and no temporary is left behind
	[ "$(ls -A)" = "c.ckpt
m.model" ]
}

@test "bad input: sym-show -o a device reports its write error and leaves it a device" {
	# a link to /dev/full stands for the device: should sym-show rename
	# over it, it replaces only the link, not /dev/full itself
	ln -s /dev/full out.png
	run -1 --separate-stderr sym-show -q -o out.png < "$D/img.sym"
	[ -L out.png ]
	is_err "sym-show: out.png: write error: No space left on device"
}

@test "bad input: sym-match --summary to a device reports its write error and leaves it a device" {
	ln -s /dev/full sum.txt
	run -1 --separate-stderr sym-match -s "$D/e.sym" --summary sum.txt < "$D/e.sym"
	[ "${stderr_lines[-1]}" = "sym-match: sum.txt: write error: No space left on device" ]
	[ -L sum.txt ]
}

@test "bad input: sym-match --summary into a missing folder or onto a folder fails before any output" {
	run -1 --separate-stderr sym-match -s "$D/e.sym" --summary nodir/s.txt < "$D/e.sym"
	is_err "sym-match: nodir/s.txt: No such file or directory"
	[ -z "$output" ]
	mkdir d
	run -1 --separate-stderr sym-match -s "$D/e.sym" --summary d < "$D/e.sym"
	is_err "sym-match: d: Is a directory"
	[ -z "$output" ]
	run -1 --separate-stderr sym-train -o d < "$D/img.sym"
	is_err "sym-train: d: Is a directory"
	[ "$(ls -A)" = d ]
	[ -z "$(ls -A d)" ]
}

@test "bad input: sym-match results that cannot be written leave the old --summary as it was" {
	echo old > s.txt
	run -1 --separate-stderr bash -c "exec sym-match -s $D/e.sym --summary s.txt < $D/e.sym > /dev/full"
	is_err "sym-match: <stdout>: write error: No space left on device"
	[ "$(cat s.txt)" = old ]
	[ "$(ls -A)" = s.txt ]
	# and written when they could be
	run -0 sym-match -s "$D/e.sym" --summary s.txt < "$D/e.sym"
	[[ "$(head -1 s.txt)" == "accuracy: "* ]]
}

@test "bad input: sym-match results that cannot be written: no summary on stderr either" {
	# the summary is about results that reached their reader: none here
	run -1 --separate-stderr bash -c "exec sym-match -s $D/e.sym < $D/e.sym > /dev/full"
	is_err "sym-match: <stdout>: write error: No space left on device"
	sym-pairs -q -n 20 "$D/img.sym" | sym-embed -q -m "$D/m.model" > p.emb
	run -1 --separate-stderr bash -c "exec sym-match --verify p.emb > /dev/full"
	is_err "sym-match: <stdout>: write error: No space left on device"
}

@test "bad input: sym-match --summary /dev/stdout follows the results on stdout" {
	run -0 bash -c "sym-match -q -s $D/e.sym --summary /dev/stdout < $D/e.sym | cat"
	[[ "$output" == *$'\naccuracy: '* ]]
	[ -L /dev/stdout ]
	run -0 bash -c "sym-match -q -s $D/e.sym --summary /dev/fd/1 < $D/e.sym | cat"
	[[ "$output" == *$'\naccuracy: '* ]]
	# stdout redirected to a file: the summary follows the results in
	# it (a rename would have cut the results off, or, through
	# /dev/stdout, replaced that link with a file)
	run -0 bash -c "sym-match -q -s $D/e.sym --summary /dev/fd/1 < $D/e.sym > out.txt"
	[ "$(grep -c . out.txt)" -gt 1 ] && [ "$(tail -n +2 out.txt | grep -c '^accuracy: ')" -eq 1 ]
	[ "$(head -c 2 out.txt)" = "0"$'\t' ]
	run -0 bash -c "sym-match -q -s $D/e.sym --summary same.txt < $D/e.sym > same.txt"
	cmp out.txt same.txt
	[ -L /dev/stdout ]
}

@test "bad input: an output through a symbolic link replaces its target, not the link" {
	echo old > s.txt
	ln -s s.txt l.txt
	run -0 sym-match -q -s "$D/e.sym" --summary l.txt < "$D/e.sym"
	[ -L l.txt ] && [ "$(readlink l.txt)" = s.txt ]
	[[ "$(head -1 s.txt)" == "accuracy: "* ]]
	mkdir sub
	ln -s sub/m.model m.model
	sym-load -q fashion --classes 0-1 --per-class 20 > tr.sym
	run -0 sym-train -q -a mlp -e 1 --pairs-per-epoch 64 -o m.model < tr.sym
	[ -L m.model ] && [ -s sub/m.model ]
	[ "$(ls sub)" = m.model ]
	run -0 sym-info sub/m.model
	# a link into a folder that does not exist: refused before training
	ln -s nowhere/m.model n.model
	run -1 --separate-stderr sym-train -q -a mlp -e 1 --pairs-per-epoch 64 -o n.model < tr.sym
	is_err "sym-train: n.model: No such file or directory"
	[ -L n.model ]
}

@test "bad input: --help and --version into a full disk fail" {
	# stdout is /dev/full itself here: the shell opens it, nothing renames
	for c in sym-load sym-pairs sym-info sym-train sym-embed; do
		for o in --help --version; do
			run -1 --separate-stderr bash -c "exec $c $o > /dev/full"
			is_err "$c: <stdout>: write error: No space left on device"
		done
	done
}

@test "bad input: --help and --version of sym-match and sym-show into a full disk fail" {
	for c in sym-match sym-show; do
		for o in --help --version; do
			run -1 --separate-stderr bash -c "exec $c $o > /dev/full"
			is_err "$c: <stdout>: write error: No space left on device"
		done
	done
}

# ---- headers that ask for too much ----

@test "bad input: a header of 1x65536x65536 is refused before allocating" {
	stream_header 1 1 1 65536 65536 1 > huge.sym
	# 4 GiB per record: with 1 GB of address space, an attempt to
	# allocate it fails (not under ASan, which needs terabytes; one
	# OpenBLAS thread keeps its buffers few on a machine of many cores)
	lim=unlimited
	asan || lim=1000000
	for c in sym-pairs "sym-train -o m.model" "sym-embed -m $D/m.model" \
	    "sym-match -s $D/e.sym" "sym-show -o x.png" sym-info; do
		run -1 --separate-stderr bash -c "ulimit -v $lim; OPENBLAS_NUM_THREADS=1 exec $c < huge.sym"
		is_err "${c%% *}: stdin: records of 1x65536x65536 u8 are too large (over 64 MiB)"
	done
	[ "$(ls -A)" = huge.sym ]
}

@test "bad input: a header with C of 65537 or W of 0 is refused" {
	stream_header 1 1 65537 1 1 1 > c.sym
	stream_header 1 1 1 1 0 1 > w.sym
	for c in sym-pairs "sym-train -o m.model" "sym-embed -m $D/m.model" \
	    "sym-show -o x.png" sym-info; do
		run -1 --separate-stderr $c < c.sym
		is_err "${c%% *}: stdin: impossible shape 65537x1x1 (each side 1..65536)"
		run -1 --separate-stderr $c < w.sym
		like_err "${c%% *}: stdin: *"
	done
	# embeddings of 65536 values are allowed, and this one is cut short
	stream_header 2 2 1 1 65536 1 > e.sym
	run -1 --separate-stderr sym-match -s e.sym < "$D/e.sym"
	is_err "sym-match: e.sym: truncated stream after 0 of 1 records"
}

# ---- options ----

@test "bad input: sym-train numeric options out of range or malformed" {
	for a in "--epochs -1|--epochs: -1 is out of range 1..100000" \
	    "--lr abc|--lr: 'abc' is not a number" \
	    "--lr nan|--lr: 'nan' is not a number" \
	    "--lr 1e999|--lr: '1e999' is not a number" \
	    "--lr -0.1|--lr: -0.1 is out of range 0..10" \
	    "-e 3x|--epochs: '3x' is not a whole number" \
	    "-e 99999999999999999999|--epochs: 99999999999999999999 is out of range 1..100000" \
	    "-e -99999999999999999999|--epochs: -99999999999999999999 is out of range 1..100000" \
	    "-t 0|--threads: 0 is out of range 1..64" \
	    "--max-memory abc|--max-memory: 'abc' is not a whole number"; do
		run -2 --separate-stderr sym-train ${a%%|*} -o m.model < "$D/img.sym"
		is_err "sym-train: ${a#*|}"
	done
	[ -z "$(ls -A)" ]
}

@test "bad input: sym-train --arch that does not parse is a usage error, found before reading" {
	run -2 --separate-stderr sym-train --arch nonsense -o m.model < /dev/null
	like_err "sym-train: *nonsense*"
	run -2 --separate-stderr sym-train --arch dense:0 -o m.model < /dev/null
	like_err "sym-train: *dense:0*"
}

@test "bad input: sym-train options of another loss or optimizer are usage errors, found before reading" {
	for a in "--way 3|--way needs --loss proto" \
	    "-l bce --shot 2|--shot needs --loss proto" \
	    "-l concat --query 2|--query needs --loss proto" \
	    "--episodes 5|--episodes needs --loss proto" \
	    "--within-group 0.5|--within-group needs --loss proto" \
	    "-l proto -b 8|--batch is for the pair losses, not proto" \
	    "--pairs-per-epoch 64 -l proto|--pairs-per-epoch is for the pair losses, not proto" \
	    "-l proto --same-group-negatives 0.5|--same-group-negatives is for the pair losses, not proto" \
	    "-l bce --margin 2|--margin needs --loss contrastive" \
	    "--margin 2 -l proto|--margin needs --loss contrastive" \
	    "--momentum 0.5|--momentum needs --optimizer sgd" \
	    "--optimizer adam --momentum 0.5|--momentum needs --optimizer sgd"; do
		run -2 --separate-stderr sym-train ${a%%|*} -o m.model < /dev/null
		is_err "sym-train: ${a#*|}"
	done
	# the same options with their own loss get as far as the input
	run -1 --separate-stderr sym-train -l proto --way 3 --shot 2 --query 2 \
	    --episodes 5 --within-group 0.5 -o m.model < /dev/null
	like_err "sym-train: stdin: *"
	run -1 --separate-stderr sym-train --margin 2 -b 8 --pairs-per-epoch 64 \
	    --same-group-negatives 0.5 --optimizer sgd --momentum 0.5 \
	    -o m.model < /dev/null
	like_err "sym-train: stdin: *"
	[ -z "$(ls -A)" ]
}

@test "bad input: sym-load numeric options out of range or malformed" {
	run -2 --separate-stderr sym-load --size 0x5 fashion
	is_err "sym-load: --size: 0x5: each side must be in 1..4096"
	run -2 --separate-stderr sym-load --size 5x5x5 fashion
	like_err "sym-load: --size: *"
	run -2 --separate-stderr sym-load --per-class -5 fashion
	is_err "sym-load: --per-class: -5 is out of range 1..1000000000"
	run -2 --separate-stderr sym-load --limit '' fashion
	is_err "sym-load: --limit: '' is not a whole number"
	# options that would do nothing
	run -2 --separate-stderr sym-load --classes '' fashion
	is_err "sym-load: --classes: an empty list"
	run -2 --separate-stderr sym-load --exclude-classes '' fashion
	is_err "sym-load: --exclude-classes: an empty list"
	for l in , ,a a, 'Bag,,Dress'; do
		run -2 --separate-stderr sym-load --classes "$l" fashion
		is_err "sym-load: --classes: '$l' has an empty entry"
	done
	run -2 --separate-stderr sym-load --exclude-classes 'Bag,' fashion
	is_err "sym-load: --exclude-classes: 'Bag,' has an empty entry"
	# past long long: out of range, not malformed
	run -2 --separate-stderr sym-load --shuffle --seed 99999999999999999999 fashion
	is_err "sym-load: --seed: 99999999999999999999 is out of range 0..9223372036854775807"
	run -2 --separate-stderr sym-load --seed 5 fashion
	is_err "sym-load: --seed needs --shuffle"
	[ -z "$output" ]
}

@test "bad input: numeric options of sym-pairs, sym-embed, sym-match, sym-show" {
	run -2 --separate-stderr sym-pairs -n 0 < "$D/img.sym"
	is_err "sym-pairs: --count: 0 is out of range 1..100000000"
	run -2 --separate-stderr sym-pairs --positive-fraction nan < "$D/img.sym"
	is_err "sym-pairs: --positive-fraction: 'nan' is not a number"
	run -2 --separate-stderr sym-pairs --max-memory 0 < "$D/img.sym"
	like_err "sym-pairs: --max-memory: 0 is out of range 1..*"
	run -2 --separate-stderr sym-embed -b 0 -m "$D/m.model" < "$D/img.sym"
	is_err "sym-embed: --batch: 0 is out of range 1..65536"
	run -2 --separate-stderr sym-embed -t 9999 -m "$D/m.model" < "$D/img.sym"
	is_err "sym-embed: --threads: 9999 is out of range 1..64"
	run -2 --separate-stderr sym-match -k 0 -s "$D/e.sym" < "$D/e.sym"
	is_err "sym-match: --top: 0 is out of range 1..1000"
	run -2 --separate-stderr sym-match --reject nan -s "$D/e.sym" < "$D/e.sym"
	is_err "sym-match: --reject: 'nan' is not a number"
	run -2 --separate-stderr sym-show --cols 0 -o x.png < "$D/img.sym"
	is_err "sym-show: --cols: 0 is out of range 1..1000"
	[ ! -e x.png ]
}

# ---- a reader that goes away ----

@test "bad input: sym-load into a closed pipe ends quietly" {
	# no pipefail: the left side's status is read from PIPESTATUS
	sym-load fashion 2> err | head -c 100 > /dev/null
	rc=${PIPESTATUS[0]}
	[ "$rc" -le 1 ]
	[ ! -s err ]
}

@test "bad input: sym-pairs, sym-embed, sym-info -r into a closed pipe end quietly" {
	sym-pairs -n 100000 < "$D/img.sym" 2> err | head -c 100 > /dev/null
	[ "${PIPESTATUS[0]}" -le 1 ]
	[ ! -s err ]
	sym-load -q fashion --per-class 300 > big.sym
	sym-embed -m "$D/m.model" < big.sym 2> err | head -c 100 > /dev/null
	[ "${PIPESTATUS[0]}" -le 1 ]
	[ ! -s err ]
	sym-info -r big.sym 2> err | head -c 100 > /dev/null
	[ "${PIPESTATUS[0]}" -le 1 ]
	[ ! -s err ]
}

@test "bad input: sym-match into a closed pipe ends quietly" {
	sym-load -q fashion --per-class 300 | sym-embed -q -m "$D/m.model" > big.emb
	sym-match -k 5 -s "$D/e.sym" < big.emb 2> err | head -c 100 > /dev/null
	rc=${PIPESTATUS[0]}
	[ "$rc" -le 1 ]
	[ ! -s err ]
}

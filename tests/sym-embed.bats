#!/usr/bin/env bats
# sym-embed: images (or pairs) in, embeddings out, labels kept, the
# model named in the header; refusals of bad models and mismatched
# input; output that keeps pace with its input.
bats_require_minimum_version 1.5.0
load helper

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	sym-load -q fashion --classes 0-4 --per-class 60 > train.sym
	sym-load -q fashion --classes 0-4 --per-class 20 --set test > in.sym
	sym-pairs -q -n 50 in.sym > pairs.sym
	sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 256 -o m.model < train.sym
	sym-train -q -t 1 --arch mlp --loss bce -e 1 --pairs-per-epoch 256 -o bce.model < train.sym
}

setup() {
	# a folder of its own: bats keeps files of `run` in BATS_TEST_TMPDIR
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
	D=$BATS_FILE_TMPDIR
}

@test "sym-embed: --help, --version, bad option, no model" {
	run -0 --separate-stderr sym-embed --help
	[ "${lines[0]}" = "usage: sym-embed [-qV] -m model [--views list] | --raw [-b batch]" ]
	[ "${lines[1]}" = "                 [-t threads] < images > embeddings" ]
	[[ "$output" == *"-b, --batch N        images per forward pass [256]"* ]]
	[ -z "$stderr" ]
	run -0 sym-embed --version
	[ "$output" = "sym-embed 0.1.0" ]
	run -2 --separate-stderr sym-embed -m "$D/m.model" --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"usage: sym-embed"* ]]
	run -2 --separate-stderr sym-embed < "$D/in.sym"
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "sym-embed: -m MODEL is required" ]
	run -2 --separate-stderr sym-embed -m "$D/m.model" -b 0
	[ "$stderr" = "sym-embed: --batch: 0 is out of range 1..65536" ]
}

@test "sym-embed: the options of --help and of the man page agree" {
	man=$BATS_TEST_DIRNAME/../man/sym-embed.1
	[ -f "$man" ] || skip "no man page"
	for o in $(sym-embed --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -qE -- "(Fl|,) -${o#--}( |\$)" "$man" || { echo "missing $o"; false; }
	done
	# and every option the man page lists is in --help
	for o in $(grep '^\.It Fl' "$man" | grep -oE -- '(Fl|,) -[a-z-]+' | sed 's/.* -/--/'); do
		sym-embed --help | grep -q -- "$o " || { echo "not in --help: $o"; false; }
	done
}

@test "sym-embed: embeddings of the images, labels and names kept" {
	sym-embed -m "$D/m.model" < "$D/in.sym" > e.sym
	run -0 sym-info e.sym
	[[ "$output" == *"kind: embeddings"* ]]
	[[ "$output" == *"dtype: f32"* ]]
	[[ "$output" == *"shape: 1x1x128"* ]]
	[[ "$output" == *"records: 100"* ]]
	[ "$(sym-info e.sym | grep '^class:')" = "$(sym-info "$D/in.sym" | grep '^class:')" ]
	[ "$(sym-info e.sym | grep '^class:' | head -1)" = "class: 0 T-shirt/top 20" ]
	# the same input and model give the same bytes
	sym-embed -m "$D/m.model" < "$D/in.sym" | cmp - e.sym
}

@test "sym-embed: the model is named in the header" {
	sym-embed -m "$D/m.model" < "$D/in.sym" > e.sym
	id=$(tail -c 4 "$D/m.model" | od -An -tx4 | tr -d ' ')
	run -0 sym-info e.sym
	[[ "$output" == *"meta: source=fashion "* ]]
	[[ "$output" == *"meta: model=$D/m.model"* ]]
	[[ "$output" == *"meta: model-id=$id"* ]]
	[[ "$output" == *"meta: loss=contrastive"* ]]
	[[ "$output" == *"meta: margin=1"$'\n'* ]]
	[[ "$output" == *"meta: arch=flatten,dense:128,relu"* ]]
	[[ "$output" != *"meta: head="* ]]
	# bce: the head's 129 f32 values as 1032 hex digits, the bytes that
	# end the model file before its 4-byte checksum
	sym-embed -m "$D/bce.model" < "$D/in.sym" > b.sym
	run -0 sym-info b.sym
	[[ "$output" == *"meta: loss=bce"* ]]
	head=$(LC_ALL=C grep -a -o -E '[0-9a-f]{1000,}' b.sym)
	want=$(tail -c $((4 + 129 * 4)) "$D/bce.model" | head -c $((129 * 4)) | od -An -v -tx1 | tr -d ' \n')
	[ ${#head} -eq 1032 ]
	[ "$head" = "$want" ]
	bid=$(tail -c 4 "$D/bce.model" | od -An -tx4 | tr -d ' ')
	[ "$bid" != "$id" ]
}

@test "sym-embed: views are the model's, or --views; each its own identity" {
	sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 256 \
	    --views turns,mirror,shifts -o v.model < "$D/train.sym"
	run -0 sym-info v.model
	[[ "$output" == *$'\nviews: turns,mirror,shifts\n'* ]]
	run -0 sym-info "$D/m.model"
	[[ "$output" == *$'\nviews: none\n'* ]]
	# 8 views of 128 numbers; the stream says which views
	sym-embed -m v.model < "$D/in.sym" > all.sym
	run -0 sym-info all.sym
	[[ "$output" == *$'\ndim: 1024\n'* ]]
	[[ "$output" == *$'\nmeta: views=turns,mirror,shifts\n'* ]]
	id=$(tail -c 4 v.model | od -An -tx4 | tr -d ' ')
	[[ "$output" == *"meta: model-id=$id"* ]]
	# --views none: the plain embedding, under another identity
	sym-embed -m v.model --views none < "$D/in.sym" > none.sym
	run -0 sym-info none.sym
	[[ "$output" == *$'\ndim: 128\n'* ]]
	[[ "$output" != *"model-id=$id"* ]]
	[[ "$output" != *"views="* ]]
	# the same numbers as the model's first view with turns only
	sym-embed -m v.model --views turns < "$D/in.sym" > turns.sym
	run -0 sym-info turns.sym
	[[ "$output" == *$'\ndim: 512\n'* ]]
	# sym-match refuses to mix embeddings made with other views
	run -1 --separate-stderr sym-match -s none.sym < all.sym
	[[ "$stderr" == *"model"* ]]
	run -2 --separate-stderr sym-embed -m v.model --views turn
	[ "$stderr" = "sym-embed: --views: unknown view 'turn' (turns, mirror, shifts or none)" ]
	run -2 --separate-stderr sym-embed -m v.model --views none,turns
	[ "$stderr" = "sym-embed: --views: 'none' goes alone, not in a list" ]
	run -2 --separate-stderr sym-embed -m v.model --views turns,mirror,turns
	[ "$stderr" = "sym-embed: --views: 'turns' given twice" ]
	run -2 --separate-stderr sym-embed --raw --views turns
	[ "$stderr" = "sym-embed: --views needs a model, not --raw" ]
	run -1 --separate-stderr sym-embed -m "$D/bce.model" --views mirror < "$D/in.sym"
	[ "$stderr" = "sym-embed: $D/bce.model: views need a distance head (contrastive or proto), not bce" ]
	[ -z "$output" ]
}

@test "sym-embed: images loaded unlike the model's training images get a warning" {
	# sym-load records its normalisation, sym-train keeps it in the model
	sym-load -q fashion --classes 0-1 --per-class 30 --ink-radius 0.25 > n.sym
	run -0 sym-info -H < n.sym
	[[ "$output" == *$'\nmeta: ink=--ink-radius 0.25\n'* ]]
	sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 64 -o n.model < n.sym
	run -0 sym-info n.model
	[[ "$output" == *$'\nmeta: ink=--ink-radius 0.25\n'* ]]
	# the same normalisation: silent; none, or another: one warning line,
	# and the embeddings are written all the same
	run -0 --separate-stderr sym-embed -m n.model < n.sym
	[ -z "$stderr" ]
	run -0 --separate-stderr sym-embed -m n.model < "$D/in.sym"
	[ "$stderr" = "sym-embed: warning: stdin: images loaded as stored, but n.model was trained on images loaded with sym-load --ink-radius 0.25" ]
	sym-embed -q -m n.model < "$D/in.sym" > q.emb
	sym-embed -q -m n.model < n.sym > n.emb
	[ "$(sym-info -H < q.emb | grep -c '^class:')" -eq 5 ]
	sym-load -q fashion --limit 5 --center > c.sym
	run -0 --separate-stderr sym-embed -m n.model < c.sym
	[ "$stderr" = "sym-embed: warning: stdin: images loaded with sym-load --center, but n.model was trained on images loaded with sym-load --ink-radius 0.25" ]
	run -0 --separate-stderr sym-embed -m "$D/m.model" < c.sym
	[ "$stderr" = "sym-embed: warning: stdin: images loaded with sym-load --center, but $D/m.model was trained on images loaded as stored" ]
	# -q keeps it quiet
	run -0 --separate-stderr sym-embed -q -m n.model < c.sym
	[ -z "$stderr" ]
}

@test "sym-embed: a pairs stream stays pairs, with f32 items" {
	sym-embed -m "$D/m.model" < "$D/pairs.sym" > p.sym
	run -0 sym-info p.sym
	[[ "$output" == *"kind: pairs"* ]]
	[[ "$output" == *"dtype: f32"* ]]
	[[ "$output" == *"shape: 1x1x128"* ]]
	[ "$(sym-info p.sym | grep -E '^(items|pairs|positive)')" = "$(sym-info "$D/pairs.sym" | grep -E '^(items|pairs|positive)')" ]
}

@test "sym-embed: images of the wrong size, or the wrong kind of stream" {
	sym-load -q fashion --classes 0-1 --per-class 3 --size 32 > big.sym
	run -1 --separate-stderr sym-embed -m "$D/m.model" < big.sym
	[ "$stderr" = "sym-embed: stdin: images are 1x32x32, but $D/m.model wants 1x28x28 (use sym-load --size 28)" ]
	[ -z "$output" ]
	sym-embed -m "$D/m.model" < "$D/in.sym" > e.sym
	run -1 --separate-stderr sym-embed -m "$D/m.model" < e.sym
	[ "$stderr" = "sym-embed: stdin: expected images or pairs, got embeddings" ]
	[ -z "$output" ]
	run -1 --separate-stderr sym-embed -m "$D/m.model" < /dev/null
	[ "$stderr" = "sym-embed: stdin: empty input (expected a sym stream)" ]
	[ -z "$output" ]
}

# A stream's item holds at most 65536 numbers: wider embeddings are
# refused before anything is written (sym-train refuses such towers too,
# but --views at embed time can widen a model's output 8 times).
@test "sym-embed: embeddings wider than a stream holds are refused up front" {
	sym-train -q -t 1 -a conv:16:3:1,relu,flatten -l proto --way 2 -e 1 \
	    --episodes 1 -o w.model < "$D/train.sym"
	run -0 sym-embed -m w.model < "$D/in.sym"
	run -1 --separate-stderr sym-embed -m w.model --views turns,mirror < "$D/in.sym"
	[ "$stderr" = "sym-embed: w.model: embeddings of 100352 numbers per image (12544 per view x 8 views) are wider than a stream holds (65536): fewer views, or a tower ending with fewer numbers" ]
	[ -z "$output" ]
	sym-load -q fashion --classes 0-1 --per-class 1 --size 257 > big.sym
	run -1 --separate-stderr sym-embed --raw < big.sym
	[ "$stderr" = "sym-embed: stdin: 257x257 images make raw embeddings of 66049 numbers, more than a stream holds (65536): --size to shrink them" ]
	[ -z "$output" ]
	sym-load -q fashion --classes 0-1 --per-class 1 --size 256 > big.sym
	sym-embed --raw < big.sym | sym-info > info
	grep -qx "dim: 65536" info
}

@test "sym-embed: missing, foreign, damaged, truncated and newer models" {
	run -1 --separate-stderr sym-embed -m nope.model < "$D/in.sym"
	[ "$stderr" = "sym-embed: nope.model: No such file or directory" ]
	[ -z "$output" ]
	run -1 --separate-stderr sym-embed -m "$D/in.sym" < "$D/in.sym"
	[ "$stderr" = "sym-embed: $D/in.sym: not a sym model" ]
	size=$(stat -c %s "$D/m.model")
	head -c $((size - 100)) "$D/m.model" > cut.model
	run -1 --separate-stderr sym-embed -m cut.model < "$D/in.sym"
	[ "$stderr" = "sym-embed: cut.model: truncated model file" ]
	[ -z "$output" ]
	# flip one byte in the middle of the parameters
	cp "$D/m.model" bad.model
	printf '\377' | dd of=bad.model bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	run -1 --separate-stderr sym-embed -m bad.model < "$D/in.sym"
	[ "$stderr" = "sym-embed: bad.model: checksum mismatch (file damaged)" ]
	[ -z "$output" ]
	# major version 2 at offset 8
	cp "$D/m.model" new.model
	printf '\002\000\003\000' | dd of=new.model bs=1 seek=8 conv=notrunc 2>/dev/null
	run -1 --separate-stderr sym-embed -m new.model < "$D/in.sym"
	[ "$stderr" = "sym-embed: new.model: model version 2.3 is newer than this program (1.x)" ]
	[ -z "$output" ]
}

@test "sym-embed: output keeps pace with input" {
	# All 100 images arrive at once, then stdin stays open for 6 s: the
	# embeddings (100 records of a tag, a 4-byte label and 128 floats)
	# must be out within 4 s, before the input ends.
	want=$((100 * (5 + 512)))
	{ cat "$D/in.sym"; sleep 6; } | sym-embed -m "$D/m.model" -b 10 > e.sym &
	early=0
	for i in $(seq 40); do
		early=$(stat -c %s e.sym)
		[ "$early" -lt "$want" ] || break
		sleep 0.1
	done
	wait
	[ "$early" -ge "$want" ]
	sym-embed -m "$D/m.model" < "$D/in.sym" > all.sym
	cmp e.sym all.sym
}

@test "sym-embed: a segment's last batch and pairs do not wait for more input" {
	# 100 images, less than a batch of 256: the header's count says when
	# the segment is complete, so they need not wait for the end of input
	sym-embed -m "$D/m.model" < "$D/in.sym" > all.sym
	sym-embed -m "$D/m.model" < "$D/pairs.sym" > allp.sym
	for f in in pairs; do
		{ cat "$D/$f.sym"; sleep 6; } | sym-embed -m "$D/m.model" > e.sym &
		ok=0
		for i in $(seq 40); do
			if sym-info -c e.sym 2> /dev/null; then ok=1; break; fi
			sleep 0.1
		done
		wait
		[ "$ok" = 1 ]
	done
	cmp e.sym allp.sym
}

@test "sym-embed: concatenated streams give one output segment each" {
	cat "$D/in.sym" "$D/in.sym" | sym-embed -m "$D/m.model" > e.sym
	run -0 sym-info e.sym
	[[ "$output" == *$'\nsegments: 2\nrecords: 200\n'* ]]
	[[ "$output" == *$'\nclass: 4 Coat 40\n'* ]]
	cat "$D/pairs.sym" "$D/pairs.sym" | sym-embed -m "$D/m.model" > p.sym
	run -0 sym-info p.sym
	[[ "$output" == *$'\npairs: 100\n'* ]]
}

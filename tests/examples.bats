#!/usr/bin/env bats
# The example recipes run end to end on tiny generated data, so they
# cannot rot: examples/emnist on EMNIST-named files (transposed images, a
# mapping file) and examples/walkthrough on MNIST-named files, both made
# here with mkidx; examples/omniglot's `make model` on two zips laid out
# as the official ones, made here with mkpng and zip. Fast: small counts,
# an mlp or a few episodes, one or two epochs.
bats_require_minimum_version 1.5.0
load helper

EX=$BATS_TEST_DIRNAME/../examples

# idx_images OUT.gz CLASSES PER_CLASS: 28x28 images, PER_CLASS of each of
# CLASSES classes in turn (class-major), a class-dependent stripe pattern
# plus per-image noise; and the label list on fd 3 (class index 0..).
gen_pixels() {
	awk -v classes="$1" -v per="$2" 'BEGIN {
		srand(7)
		for (c = 0; c < classes; c++)
			for (i = 0; i < per; i++) {
				for (p = 0; p < 784; p++) {
					r = int(p / 28); x = p % 28
					v = ((r + 2 * x + 3 * c) % (c % 5 + 3) == 0) ? 200 : 0
					if (rand() < 0.05) v = 255 - v
					printf "%d ", v
				}
				print ""
			}
	}'
}
gen_labels() {
	awk -v classes="$1" -v per="$2" -v first="$3" 'BEGIN {
		for (c = 0; c < classes; c++)
			for (i = 0; i < per; i++) print c + first }'
}

# mkset DIR PREFIX CLASSES PER_CLASS FIRST_LABEL: PREFIX-images-idx3-ubyte.gz
# and PREFIX-labels-idx1-ubyte.gz in DIR
mkset() {
	local n=$(($3 * $4))
	gen_pixels "$3" "$4" | mkidx -z "$1/$2-images-idx3-ubyte.gz" "$n" 28 28
	gen_labels "$3" "$4" "$5" | mkidx -z "$1/$2-labels-idx1-ubyte.gz" "$n"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "examples/emnist: letters -> digits end to end on tiny EMNIST files" {
	mkdir em
	# letters: labels 1..26, mapping "1 65 97" (A, a); digits 0..9
	mkset em emnist-letters-train 26 8 1
	mkset em emnist-letters-test 26 4 1
	mkset em emnist-digits-train 10 6 0
	mkset em emnist-digits-test 10 20 0
	awk 'BEGIN { for (i = 1; i <= 26; i++) print i, 64 + i, 96 + i }' \
	    > em/emnist-letters-mapping.txt
	awk 'BEGIN { for (i = 0; i <= 9; i++) print i, 48 + i }' \
	    > em/emnist-digits-mapping.txt
	run -0 make -s --no-print-directory -C "$EX/emnist" EMNIST_DIR="$PWD/em" OUT="$PWD/out" \
	    BIN="$SYM_BIN" ARCH=mlp EPOCHS=2 EPISODES=5 DRAWS=3 \
	    EVAL_EPISODES=20
	echo "$output"
	[[ "${lines[0]}" == "trained on EMNIST letters 0-19"* ]]
	# 4 lines per shot: train->test draws and test episodes, learned and raw
	[ "$(grep -c '10-way 1-shot: 0\.[0-9]\{4\} ± 0\.[0-9]\{4\} (3 support draws, 200 queries)' <<< "$output")" -eq 2 ]
	[ "$(grep -c '10-way 5-shot: 0\.[0-9]\{4\} ± 0\.[0-9]\{4\} (3 support draws, 200 queries)' <<< "$output")" -eq 2 ]
	[ "$(grep -c 'test episodes 10-way [15]-shot: *accuracy: [01]\.[0-9]\{4\} ± [01]\.[0-9]\{4\} (95% CI, 20 episodes)' <<< "$output")" -eq 4 ]
	[ -s out/letters.model ]
	# trained on letters a..t only, validated on u..z
	run -0 sym-info out/letters.model
	[[ "$output" == *"val-way"* ]]
	# a setting of the evaluation only: evaluated again, not retrained
	run -0 make --no-print-directory -C "$EX/emnist" EMNIST_DIR="$PWD/em" OUT="$PWD/out" \
	    BIN="$SYM_BIN" ARCH=mlp EPOCHS=2 EPISODES=5 DRAWS=2 \
	    EVAL_EPISODES=20
	[[ "$output" != *sym-train* && "$output" != *sym-load* ]]
	[ "$(grep -c '(2 support draws, 200 queries)' <<< "$output")" -eq 4 ]
	make -s --no-print-directory -C "$EX/emnist" OUT="$PWD/out" clean
	[ ! -e out ]
}

@test "examples/walkthrough: three models, per-epoch TSV, on tiny MNIST files" {
	mkdir mn
	mkset mn t10k 10 20 0
	run -0 make -s --no-print-directory -C "$EX/walkthrough" MNIST_DIR="$PWD/mn" OUT="$PWD/out" \
	    BIN="$SYM_BIN" TRAIN_N=150 EVAL_N=50 VAL_PAIRS=100 EPOCHS=2 \
	    PAIRS=300
	echo "$output"
	[ "${lines[0]}" = "$(printf 'epoch\tseparate\tshared\tcontrastive')" ]
	[[ "${lines[1]}" =~ ^1$'\t'0\.[0-9]{4}$'\t'0\.[0-9]{4}$'\t'0\.[0-9]{4}$ ]] ||
	    [[ "${lines[1]}" =~ ^1($'\t'(0\.[0-9]{4}|1\.0000)){3}$ ]]
	[[ "${lines[2]}" =~ ^2($'\t'(0\.[0-9]{4}|1\.0000)){3}$ ]]
	[ "${#lines[@]}" -eq 3 ]
	# 20 images of each digit in turn: training takes the first 150
	# (digits 0-6, ten 7s), evaluation the last 50 (ten 7s, 8s, 9s)
	run -0 sym-info out/eval.sym
	[[ "$output" == *"records: 50"* && "$output" == *"class: 6 6 0"* ]]
	[[ "$output" == *"class: 7 7 10"* && "$output" == *"class: 8 8 20"* && "$output" == *"class: 9 9 20"* ]]
	run -0 sym-info out/train.sym
	[[ "$output" == *"records: 150"* && "$output" == *"class: 7 7 10"* && "$output" == *"class: 8 8 0"* ]]
	for m in separate shared contrastive; do [ -s "out/$m.model" ]; done
	if command -v gnuplot > /dev/null; then [ -s out/accuracy.png ]; fi
	# the same again: nothing to do; a setting changed: remade with it
	run -0 make --no-print-directory -C "$EX/walkthrough" MNIST_DIR="$PWD/mn" OUT="$PWD/out" \
	    BIN="$SYM_BIN" TRAIN_N=150 EVAL_N=50 VAL_PAIRS=100 EPOCHS=2 \
	    PAIRS=300
	[[ "$output" != *sym-train* ]]
	run -0 make -s --no-print-directory -C "$EX/walkthrough" MNIST_DIR="$PWD/mn" OUT="$PWD/out" \
	    BIN="$SYM_BIN" TRAIN_N=150 EVAL_N=50 VAL_PAIRS=100 EPOCHS=3 \
	    PAIRS=300
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[3]}" =~ ^3($'\t'(0\.[0-9]{4}|1\.0000)){3}$ ]]
	# a missing data folder and a BIN without the programs: what to do
	run -2 make -s --no-print-directory -C "$EX/walkthrough" MNIST_DIR="$PWD/none" OUT="$PWD/out2" \
	    BIN="$SYM_BIN"
	[[ "$output" == *"none/t10k-images-idx3-ubyte.gz is missing: make download"* ]]
	# stopped before anything was written (no settings files either)
	[ ! -e out2 ]
	run -2 make -s --no-print-directory -C "$EX/walkthrough" MNIST_DIR="$PWD/mn" OUT="$PWD/out2" \
	    BIN="$PWD"
	[[ "$output" == *"walkthrough: no sym-* programs in BIN=$PWD"* ]]
	[ ! -e out2/all.sym ]
}

# omniglot_zip ZIP TOP ALPHABET...: ZIP holding TOP/ALPHABET/characterNN/
# *.png as the official "background small" zips do: 3 characters of 3
# drawings each per alphabet, 20 x 20, black strokes on white paper.
omniglot_zip() {
	local zip=$1 top=$2 a c d
	shift 2
	for a in "$@"; do
		for c in 1 2 3; do
			for d in 1 2 3; do
				mkdir -p "$top/$a/character0$c"
				awk -v c="$c" -v d="$d" -v a="${#a}" 'BEGIN {
					for (p = 0; p < 400; p++) {
						y = int(p / 20); x = p % 20
						ink = (y == 4 + c + a % 3 && x > d) ||
						    (x == 3 * c + d && y > 2)
						printf "%d ", ink ? 0 : 255
					} }' | mkpng -t gray1 \
				    "$top/$a/character0$c/${a}_0$d.png" 20 20
			done
		done
	done
	zip -q -r "$zip" "$top"
}

@test "examples/omniglot: make model on zips laid out as the official ones" {
	command -v zip > /dev/null || skip "zip is not installed"
	command -v unzip > /dev/null || skip "unzip is not installed"
	mkdir zips ex
	omniglot_zip "$PWD/zips/images_background_small1.zip" \
	    images_background_small1 Alpha Greek
	omniglot_zip "$PWD/zips/images_background_small2.zip" \
	    images_background_small2 Beta Greek
	cp "$EX/omniglot/Makefile" ex/
	cp "$EX/common.mk" .
	s1=$(sha256sum zips/images_background_small1.zip | cut -d' ' -f1)
	s2=$(sha256sum zips/images_background_small2.zip | cut -d' ' -f1)
	# the Makefile's recipe, but 3 tiny episodes
	recipe=$(sed -n '/^RECIPE = /,/[^\\]$/p' ex/Makefile | tr -d '\\\n' |
	    sed 's/^RECIPE = //; s/--way 60/--way 4/; s/--shot 5/--shot 1/;
	    s/--query 5/--query 1/; s/--episodes [0-9]*/--episodes 3/;
	    s/-e [0-9]*/-e 1/')
	[[ "$recipe" == *"--views turns,mirror,shifts"* ]]
	run -0 make -s --no-print-directory -C ex model BIN="$SYM_BIN" \
	    OMNIGLOT_DIR="$PWD/zips" SUM1="$s1" SUM2="$s2" THREADS=1 \
	    RECIPE="$recipe"
	[ -s ex/omniglot.model ]
	[ "$(cat ex/load-flags)" = "--center --size 28" ]
	run -0 sym-info ex/omniglot.model
	[[ "$output" == *$'\nmeta: ink=--center\n'* ]]
	# 9 characters: 3 of Alpha, 3 of Beta, 3 of Greek (in both zips)
	[[ "$output" == *"meta: train-classes=9"* ]]
	[[ "$output" == *"meta: mirror-classes=yes"* ]]
	[[ "$output" == *$'\nviews: turns,mirror,shifts\n'* ]]
	# the hidden test's way in: PNG folders, load-flags, embed, match
	mkdir -p run/s/a run/s/b run/q/a run/q/b
	cp images_background_small1/Alpha/character01/Alpha_01.png run/s/a/
	cp images_background_small1/Alpha/character02/Alpha_01.png run/s/b/
	cp images_background_small1/Alpha/character01/Alpha_02.png run/q/a/
	cp images_background_small1/Alpha/character02/Alpha_03.png run/q/b/
	# shellcheck disable=SC2046
	sym-load -q png run/s $(cat ex/load-flags) |
	    sym-embed -m ex/omniglot.model > s.emb
	# shellcheck disable=SC2046
	sym-load -q png run/q $(cat ex/load-flags) |
	    sym-embed -m ex/omniglot.model > q.emb
	run -0 sym-info s.emb
	[[ "$output" == *$'\ndim: 512\n'* ]]
	run -0 --separate-stderr sym-match -s s.emb < q.emb
	[ "${#lines[@]}" -eq 2 ]
	[[ "$stderr" == "accuracy: "*"(2 queries)"* ]]
	# an interrupted make model continues from its checkpoint, even
	# after a make -n with other settings rewrote the settings file
	# shellcheck disable=SC2046
	(cd ex && sym-load -q omniglot data/all $(cat load-flags) |
	    sym-train -q -o x.model -t 1 $recipe --checkpoint omniglot.ckpt)
	[ -s ex/omniglot.ckpt ]
	cp ex/data/model.settings ex/omniglot.ckpt.settings
	rm ex/omniglot.model
	run -0 make -n --no-print-directory -C ex model BIN="$SYM_BIN" \
	    OMNIGLOT_DIR="$PWD/zips" SUM1="$s1" SUM2="$s2" THREADS=1 \
	    RECIPE="$recipe --lr 0.001"
	run -0 make -s --no-print-directory -C ex model BIN="$SYM_BIN" \
	    OMNIGLOT_DIR="$PWD/zips" SUM1="$s1" SUM2="$s2" THREADS=1 \
	    RECIPE="$recipe"
	[[ "$output" == *"continuing from omniglot.ckpt"* ]]
	[ -s ex/omniglot.model ] && [ ! -e ex/omniglot.ckpt ]
	# other settings: the checkpoint is not theirs, training starts over
	# shellcheck disable=SC2046
	(cd ex && sym-load -q omniglot data/all $(cat load-flags) |
	    sym-train -q -o x.model -t 1 $recipe --checkpoint omniglot.ckpt)
	cp ex/data/model.settings ex/omniglot.ckpt.settings
	run -0 make -s --no-print-directory -C ex model BIN="$SYM_BIN" \
	    OMNIGLOT_DIR="$PWD/zips" SUM1="$s1" SUM2="$s2" THREADS=1 \
	    RECIPE="$recipe --lr 0.001"
	[[ "$output" != *"continuing from"* ]]
	[ -s ex/omniglot.model ] && [ ! -e ex/omniglot.ckpt ]
	rm ex/x.model
	run -0 make -s --no-print-directory -C ex clean
	[ ! -e ex/omniglot.model ] && [ ! -e ex/data ]
	[ ! -e ex/omniglot.ckpt.settings ]
}

# The download targets, over file:// (curl reads local files the same way):
# a file whose checksum does not match is refused and removed, nothing
# is unpacked and an earlier good copy stays; a matching one is unpacked.
@test "examples: download targets check checksums before keeping anything" {
	mkdir -p src/gzip em
	echo letters > src/gzip/emnist-letters-train-labels-idx1-ubyte.gz
	echo digits > src/gzip/emnist-digits-test-labels-idx1-ubyte.gz
	echo other > src/gzip/emnist-balanced-test-labels-idx1-ubyte.gz
	(cd src && zip -q -r ../gzip.zip gzip)
	run make -s --no-print-directory -C "$EX/emnist" download \
	    EMNIST_DIR="$PWD/em" URL="file://$PWD/gzip.zip"
	[ "$status" -ne 0 ]
	[[ "$output" == *"gzip.part: FAILED"* ]]
	[ -z "$(ls em)" ]
	run -0 make -s --no-print-directory -C "$EX/emnist" download \
	    EMNIST_DIR="$PWD/em" URL="file://$PWD/gzip.zip" \
	    MD5="$(md5sum < gzip.zip | cut -d' ' -f1)"
	[ "$(ls em | tr '\n' ' ')" = "emnist-digits-test-labels-idx1-ubyte.gz emnist-letters-train-labels-idx1-ubyte.gz " ]
	[ "$(cat em/emnist-letters-train-labels-idx1-ubyte.gz)" = letters ]

	mkdir om
	echo one > om/images_background_small1.zip
	echo first > images_background_small1.zip
	echo second > images_background_small2.zip
	s1=$(sha256sum < images_background_small1.zip | cut -d' ' -f1)
	run make -s --no-print-directory -C "$EX/omniglot" download \
	    OMNIGLOT_DIR="$PWD/om" OMNIGLOT_URL="file://$PWD" SUM1="$s1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"small2.part: FAILED"* ]]
	[ "$(cat om/images_background_small1.zip)" = one ]
	s2=$(sha256sum < images_background_small2.zip | cut -d' ' -f1)
	run -0 make -s --no-print-directory -C "$EX/omniglot" download \
	    OMNIGLOT_DIR="$PWD/om" OMNIGLOT_URL="file://$PWD" SUM1="$s1" SUM2="$s2"
	[ "$(cat om/images_background_small1.zip)" = first ]
	[ "$(cat om/images_background_small2.zip)" = second ]
}

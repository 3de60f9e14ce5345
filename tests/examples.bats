#!/usr/bin/env bats
# The example recipes run end to end on tiny generated data, so they
# cannot rot: examples/emnist on EMNIST-named files (transposed images, a
# mapping file) and examples/walkthrough on MNIST-named files, both made
# here with mkidx. Fast: small counts, an mlp and one or two epochs.
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
}

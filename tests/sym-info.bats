#!/usr/bin/env bats
# sym-info: describing streams; the stream reader's refusals seen from a
# command.
bats_require_minimum_version 1.5.0
load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf 'a 1 2\nb 3 4\na 5 6\n' | mkimages 2 1 > three.sym
}

@test "sym-info: --help and --version" {
	run -0 sym-info --help
	[[ "${lines[0]}" == "usage: sym-info [-cHr] [file]" ]]
	run -0 sym-info --version
	[ "$output" = "sym-info 0.1.0" ]
	run -2 --separate-stderr sym-info --bogus
	[ -z "$output" ]
}

@test "sym-info: describes an images stream exactly" {
	run -0 sym-info three.sym
	[ "$output" = "kind: images
dtype: u8
shape: 1x1x2
meta: source=mkimages
segments: 1
records: 3
classes: 2
class: 0 a 2
class: 1 b 1
min: 1
max: 6
mean: 3.5
std: 1.70783" ]
}

@test "sym-info: concatenated streams read as one, classes merged by name" {
	printf 'b 7 7\nc 8 8\n' | mkimages 2 1 > two.sym
	cat three.sym two.sym > all.sym
	run -0 sym-info all.sym
	[[ "$output" == *"segments: 2"* ]]
	[[ "$output" == *"records: 5"* ]]
	[[ "$output" == *"class: 1 b 2"* ]]
	[[ "$output" == *"class: 2 c 1"* ]]
	# appending with >> is the same thing
	cp three.sym app.sym
	cat two.sym >> app.sym
	run -0 sym-info -r app.sym
	[[ "$output" == *"item	4	c"* ]]
}

@test "sym-info: --check accepts a valid stream silently" {
	run -0 sym-info --check three.sym
	[ -z "$output" ]
	run -0 sym-info --check < three.sym
}

@test "sym-info: embeddings that are not finite: counted, refused by --check" {
	printf 'a nan 1\nb inf 2\nb 3 4\n' | mkemb > nf.emb
	run -0 sym-info nf.emb
	# the mean norm is over whole vectors only: |(3, 4)| = 5
	[[ "$output" == *$'\nmean-norm: 5\nnon-finite: 2' ]]
	run -1 --separate-stderr sym-info --check nf.emb
	[ -z "$output" ]
	[ "$stderr" = "sym-info: nf.emb: item 0: value 0 is not finite (nan)" ]
	# what sym-match refuses: a squared length over FLT_MAX / 4
	printf 'a 1 2\nb 3e19 3e19\n' | mkemb > big.emb
	run -1 --separate-stderr sym-info --check big.emb
	[ "$stderr" = "sym-info: big.emb: item 1: values too large (squared length 1.8e+39, over 8.50706e+37)" ]
	run -1 --separate-stderr sym-match -s big.emb big.emb
	[ "$stderr" = "sym-match: big.emb: item 1: values too large (squared length 1.8e+39, over 8.50706e+37)" ]
	# -c prints nothing, with -H or -r as well; its status still counts
	for o in -cH -cr; do
		run -1 --separate-stderr sym-info $o nf.emb
		[ -z "$output" ]
		[ "$stderr" = "sym-info: nf.emb: item 0: value 0 is not finite (nan)" ]
	done
	printf 'a 1 2\n' | mkemb > ok.emb
	run -0 --separate-stderr sym-info -cH ok.emb
	[ -z "$output$stderr" ]
}

@test "sym-info: empty input is refused" {
	run -1 --separate-stderr sym-info < /dev/null
	[ "$stderr" = "sym-info: stdin: empty input (expected a sym stream)" ]
	[ -z "$output" ]
}

@test "sym-info: random bytes are refused" {
	head -c 4096 /dev/urandom > junk
	run -1 --separate-stderr sym-info --check junk
	[ "$stderr" = "sym-info: junk: not a sym stream (bad magic)" ]
}

@test "sym-info: a stream truncated at every offset is refused, never crashes" {
	size=$(stat -c %s three.sym)
	for ((off = 0; off < size; off++)); do
		head -c "$off" three.sym > cut
		run --separate-stderr sym-info --check cut
		[ "$status" -eq 1 ] || { echo "offset $off: status $status"; false; }
		[[ "$stderr" == "sym-info: cut: "* ]]
	done
	head -c $((size - 1)) three.sym > cut
	run -1 --separate-stderr sym-info cut
	[ "$stderr" = "sym-info: cut: truncated stream after 2 of 3 records" ]
}

@test "sym-info: a missing file" {
	run -1 --separate-stderr sym-info nothere.sym
	[ "$stderr" = "sym-info: nothere.sym: No such file or directory" ]
}

@test "sym-info: fashion train set: 60000 images, 10 classes of 6000" {
	[ -d "$FASHION" ] || skip "dataset-fashion-mnist not installed"
	command -v sym-load || skip "no sym-load yet"
	run -0 sh -c 'sym-load fashion --set train | sym-info'
	[[ "$output" == *"records: 60000"* ]]
	[[ "$output" == *"classes: 10"* ]]
	[[ "$output" == *"shape: 1x28x28"* ]]
	[ "$(grep -c '^class: .* 6000$' <<< "$output")" -eq 10 ]
}

#!/usr/bin/env bats
# The main pipeline end to end on small Fashion-MNIST data, with exact
# structural checks of what each stage hands the next, then the same
# pipeline (smaller still) under valgrind.
bats_require_minimum_version 1.5.0
load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# The value of "key: value" in sym-info output on stdin.
field() {
	sed -n "s/^$1: //p"
}

# The value of model metadata KEY in sym-info output on stdin: "meta:
# KEY=VALUE" (or "meta KEY: VALUE" of older sym-info)
meta() {
	sed -n -e "s/^meta: $1=//p" -e "s/^meta $1: //p"
}

@test "pipeline: load | pairs | train, then embed | match, exact structure" {
	set -o pipefail
	sym-load -q fashion --classes 0-4 --per-class 100 |
	    sym-pairs -q -n 2000 -s 1 |
	    sym-train -q -t 1 --arch mlp --epochs 1 -s 1 -o m.model
	# the model: whole, and says what it was trained on
	sym-info --check m.model
	sym-info m.model > info
	[ "$(field kind < info)" = model ]
	[ "$(field input < info)" = "1x28x28 u8" ]
	[ "$(field 'embedding dim' < info)" = 128 ]
	[ "$(meta train-kind < info)" = pairs ]
	[ "$(meta train-items < info)" = 500 ]
	[ "$(meta train-pairs < info)" = 2000 ]
	id=$(field model-id < info)
	[[ "$id" =~ ^[0-9a-f]{8}$ ]]
	[ -z "$(ls -A | grep -v -x -e m.model -e info)" ]

	# one support image per class from the training set, queries from
	# the test set
	sym-load -q fashion --classes 0-4 --per-class 1 |
	    sym-embed -q -t 1 -m m.model > support.emb
	sym-info support.emb > sinfo
	[ "$(field kind < sinfo)" = embeddings ]
	[ "$(field dtype < sinfo)" = f32 ]
	[ "$(field shape < sinfo)" = 1x1x128 ]
	[ "$(field records < sinfo)" = 5 ]
	[ "$(field meta < sinfo | grep -c "^model-id=$id$")" = 1 ]
	[ "$(field meta < sinfo | grep -c '^loss=contrastive$')" = 1 ]
	sym-load -q fashion --set test --classes 0-4 --per-class 20 > q.sym
	sym-embed -q -t 1 -m m.model < q.sym |
	    sym-match -t 1 -s support.emb > matches.tsv 2> summary
	# one line per query, in order: index, true class, predicted
	# class, similarity in [0, 1] with four decimals
	[ "$(wc -l < matches.tsv)" = 100 ]
	classes='T-shirt/top|Trouser|Pullover|Dress|Coat'
	awk -F'\t' -v re="^($classes)\$" '
	    NF != 4 || $1 != NR - 1 || $2 !~ re || $3 !~ re ||
	    $4 !~ /^[01]\.[0-9][0-9][0-9][0-9]$/ || $4 > 1 { bad++ }
	    END { exit bad > 0 }' matches.tsv
	# the true classes are those of the query stream, in its order
	diff <(cut -f2 matches.tsv) <(sym-info -r q.sym | awk -F'\t' '$1 == "item" { print $3 }')
	# the summary agrees with the lines
	right=$(awk -F'\t' '$2 == $3' matches.tsv | wc -l)
	acc=$(awk -v r="$right" 'BEGIN { printf "%.4f", r / 100 }')
	[ "$(sed -n 1p summary)" = "accuracy: $acc (100 queries)" ]
	[ "$(wc -l < summary)" = 6 ]
	for c in T-shirt/top Trouser Pullover Dress Coat; do
		n=$(awk -F'\t' -v c="$c" '$2 == c && $3 == c' matches.tsv | wc -l)
		grep -qx "class $c: $(awk -v n="$n" 'BEGIN { printf "%.4f", n / 20 }') ($n/20)" summary
	done
}

@test "pipeline: the same seeds give the same bytes at every stage" {
	set -o pipefail
	# two runs in two folders: the model's file name is in the embeddings
	for r in 1 2; do
		mkdir r$r
		(cd r$r
		sym-load -q fashion --classes 0-4 --per-class 50 --shuffle --seed 3 |
		    tee load.sym | sym-pairs -q -n 500 -s 4 | tee pairs.sym |
		    sym-train -q -t 1 --arch mlp --epochs 1 -s 5 -o m.model
		sym-embed -q -t 1 -m m.model < load.sym > e.emb
		sym-match -q -t 1 -k 3 -s e.emb < e.emb > match.tsv)
	done
	for f in load.sym pairs.sym m.model e.emb match.tsv; do
		cmp r1/$f r2/$f
	done
	# each item matches itself best, at similarity 1, then two others
	[ "$(wc -l < r1/match.tsv)" = 250 ]
	awk -F'\t' 'NF != 10 || $2 != $3 || $4 != "1.0000" || $5 != $3 ||
	    $6 != "1.0000" || $7 == $5 || $9 == $5 || $7 == $9 { bad++ }
	    END { exit bad > 0 }' r1/match.tsv
}

@test "pipeline: episodes and verification on embedded test data" {
	set -o pipefail
	sym-load -q fashion --classes 0-4 --per-class 100 |
	    sym-train -q -t 1 --arch mlp --epochs 1 --pairs-per-epoch 2000 -s 1 -o m.model
	sym-load -q fashion --set test --classes 0-4 --per-class 30 |
	    sym-embed -q -t 1 -m m.model > test.emb
	run -0 --separate-stderr sym-match -t 1 --episodes 50 --way 5 --shot 1 --queries 5 test.emb
	[[ "$output" =~ ^accuracy:\ 0\.[0-9]{4}\ ±\ 0\.[0-9]{4}\ \(95%\ CI,\ 50\ episodes\)$ ]]
	sym-pairs -q -n 300 test.emb > pairs.emb
	run -0 --separate-stderr sym-info pairs.emb
	[[ "$output" == *"kind: pairs"* ]]
	[[ "$output" == *"pairs: 300"* ]]
	sym-match --verify pairs.emb > verify.tsv 2> summary
	# one line per pair: index, same flag, similarity
	diff <(cut -f1,2 verify.tsv) <(sym-info -r pairs.emb |
	    awk -F'\t' '$1 == "pair" { print n++ "\t" $4 }')
	awk -F'\t' 'NF != 3 || $3 !~ /^[01]\.[0-9][0-9][0-9][0-9]$/ { bad++ }
	    END { exit bad > 0 }' verify.tsv
	grep -Eq '^auc: 0\.[0-9]{4}$' summary
}

# ---- under valgrind ----

# Skip unless valgrind can run the commands: not installed, or built with
# AddressSanitizer (the two do not mix).
need_valgrind() {
	command -v valgrind > /dev/null || skip "valgrind is not installed"
	if grep -q __asan_init "$SYM_BIN/sym-info"; then
		skip "built with AddressSanitizer"
	fi
}

# vg NAME STATUS CMD...: run CMD under valgrind (stdin and stdout as
# given), its report in NAME.vg; fails unless CMD exits with STATUS, with
# no error and no definite leak (those exit 99).
vg() {
	local name=$1 want=$2 rc=0
	shift 2
	# one OpenBLAS thread: its pool's threads are valgrind noise
	OPENBLAS_NUM_THREADS=1 valgrind --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite --log-file="$name.vg" "$@" || rc=$?
	if [ "$rc" != "$want" ] || ! grep -q "ERROR SUMMARY: 0 errors" "$name.vg"; then
		echo "valgrind $name: status $rc" >&2
		cat "$name.vg" >&2
		return 1
	fi
}

@test "pipeline: every stage under valgrind: no errors, nothing definitely lost" {
	need_valgrind
	# 12x12 images keep the net, and valgrind's time, small
	vg load 0 sym-load -q fashion --set test --classes 0-4 --per-class 8 --size 12 > img.sym
	vg pairs 0 sym-pairs -q -n 200 < img.sym > pairs.sym
	vg train 0 sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 64 --batch 16 -o m.model < pairs.sym
	vg classes 0 sym-train -q -t 1 --arch mlp --loss proto --way 40 --shot 1 --query 1 --episodes 2 -e 1 --rotate-classes --mirror-classes --augment -o mc.model < img.sym
	vg embed 0 sym-embed -q -t 1 -m m.model < img.sym > e.emb
	vg views 0 sym-embed -q -t 1 -m m.model --views turns,mirror,shifts < img.sym > v.emb
	[ "$(sym-info v.emb | sed -n 's/^dim: //p')" = 1024 ]
	sym-load -q fashion --set test --classes 0-4 --per-class 1 --size 12 |
	    sym-embed -q -t 1 -m m.model > support.emb
	# a tower whose 7 x 7 conv goes by DFT (conv_dft.c), training and eval
	sym-load -q fashion --set test --classes 0-4 --per-class 2 --size 16 > i16.sym
	vg dfttrain 0 sym-train -q -t 1 --arch conv:24:3:1,relu,conv:24:7,relu,pool:2,flatten \
	    --loss proto --way 5 --shot 1 --query 1 --episodes 1 -e 1 -o dft.model < i16.sym
	vg dft 0 sym-embed -q -t 1 -m dft.model < i16.sym > d.emb
	[ "$(sym-info d.emb | sed -n 's/^records: //p')" = 10 ]
	vg match 0 sym-match -t 1 -k 2 -s support.emb < e.emb > m.tsv 2> summary
	[ "$(wc -l < m.tsv)" = 40 ]
	vg info 0 sym-info m.model > /dev/null
	vg check 0 sym-info --check e.emb
	vg show 0 sym-show -q -o grid.png < img.sym
	[ "$(head -c 4 grid.png | od -An -c | tr -d ' ')" = "211PNG" ]
	# the error paths free what they took, too
	vg badembed 1 sym-embed -q -t 1 -m m.model < e.emb 2> /dev/null
	printf 'a 1 2\nb nan 4\n' | mkemb > nan.emb
	vg badmatch 1 sym-match -t 1 -s support.emb < nan.emb 2> /dev/null
	vg badtrain 1 sym-train -q -t 1 -o x.model < e.emb 2> /dev/null
}

# sym-embed, sym-match and sym-train restart themselves (/proc/self/exe)
# to set OpenBLAS's core and idle spin; started through the dynamic loader
# or under valgrind, /proc/self/exe is the loader or valgrind's tool, so
# they must run on without the restart. Two BLAS threads ask for one.
@test "pipeline: started by the dynamic loader, or under valgrind, the BLAS programs run" {
	sym-load -q fashion --set test --classes 0-1 --per-class 3 --size 8 > img.sym
	sym-embed -q --raw < img.sym > want.emb
	# AddressSanitizer restarts itself through /proc/self/exe as well
	if ! grep -q __asan_init "$SYM_BIN/sym-embed"; then
		ld=$(readelf -l "$SYM_BIN/sym-embed" 2> /dev/null |
		    sed -n 's/.*program interpreter: \(.*\)]$/\1/p')
		[ -x "$ld" ] || skip "no program interpreter found"
		OPENBLAS_NUM_THREADS=2 "$ld" "$SYM_BIN/sym-embed" -q --raw \
		    < img.sym > ld.emb
		cmp want.emb ld.emb
	fi
	need_valgrind
	OPENBLAS_NUM_THREADS=2 valgrind -q --error-exitcode=99 \
	    sym-embed -q --raw < img.sym > vg.emb
	cmp want.emb vg.emb
}

#!/usr/bin/env bats
# sym-match: classifying against a support set, episodes, verification,
# and the refusals (other model, other size, NaN, empty input, options).
bats_require_minimum_version 1.5.0
load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	# two examples of a, one each of b and c, in 2-D
	printf 'a 0 0\na 0 1\nb 5 5\nc 10 0\n' | mkemb > sup.emb
	printf 'a 0.1 0.2\nb 4 4\nc 9 1\n- 5 0\n' | mkemb > q.emb
}

@test "sym-match: --help, --version, bad options" {
	run -0 sym-match --help
	[[ "${lines[0]}" == "usage: sym-match [-qv] -s support [-s support ...] [-k top] [--reduce max|mean]" ]]
	[[ "$output" == *"--within-group"* ]]
	run -0 sym-match -V
	[ "$output" = "sym-match 0.1.0" ]
	run -2 --separate-stderr sym-match --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"
usage: sym-match "* ]]
	run -2 --separate-stderr sym-match -s sup.emb -k 0 q.emb
	[ -z "$output" ]
	[[ "$stderr" == *"--top"* ]]
	run -2 --separate-stderr sym-match -s sup.emb --reduce median q.emb
	[ "$stderr" = "sym-match: --reduce: median is not max or mean" ]
	run -2 --separate-stderr sym-match q.emb
	[ -z "$output" ]
	[[ "$stderr" == "sym-match: no support set (-s file)"* ]]
	run -2 --separate-stderr sym-match --verify -s sup.emb q.emb
	[ "$stderr" = "sym-match: --support is for classifying, not --verify" ]
	run -2 --separate-stderr sym-match -s sup.emb --threshold 0.5 q.emb
	[ "$stderr" = "sym-match: --threshold needs --verify" ]
	# without -s too: the option is the mistake, not the missing support
	run -2 --separate-stderr sym-match --threshold 0.5 q.emb
	[ "$stderr" = "sym-match: --threshold needs --verify" ]
	run -2 --separate-stderr sym-match -s sup.emb --reject 2 q.emb
	[ -z "$output" ]
}

@test "sym-match: exact TSV and summary on a hand-made case" {
	run -0 --separate-stderr sym-match -s sup.emb q.emb
	# similarity 1 / (1 + d); query 3 is 5 away from a, b and c: the
	# tie goes to the earliest support example (a)
	[ "$output" = "0	a	a	0.8173
1	b	b	0.4142
2	c	c	0.4142
3	-	a	0.1667" ]
	[ "$stderr" = "accuracy: 1.0000 (3 queries)
class a: 1.0000 (1/1)
class b: 1.0000 (1/1)
class c: 1.0000 (1/1)" ]
	run -0 --separate-stderr sym-match -q -s sup.emb q.emb
	[ -z "$stderr" ]
}

@test "sym-match: -k lists the best classes in order" {
	run -0 sym-match -k 3 -s sup.emb --summary sum.txt < q.emb
	[ "${lines[1]}" = "1	b	b	0.4142	b	0.4142	a	0.1667	c	0.1218" ]
	[ "${lines[2]}" = "2	c	c	0.4142	c	0.4142	b	0.1502	a	0.1000" ]
	# more than there are classes: all three, no padding
	run -0 sym-match -k 9 -s sup.emb --summary sum.txt < q.emb
	[ "$(printf '%s\n' "$output" | awk -F'\t' '{print NF}' | sort -u)" = 10 ]
	[ "$(head -1 sum.txt)" = "accuracy: 1.0000 (3 queries)" ]
}

@test "sym-match: --reduce mean scores class prototypes" {
	# the mean of a is (0, 0.5): query 0 is 0.3162 from it
	run -0 sym-match -s sup.emb --reduce mean -q q.emb
	[ "${lines[0]}" = "0	a	a	0.7597" ]
}

@test "sym-match: appending a support file adds a class" {
	printf 'd 20 20\n' | mkemb > d.emb
	printf 'd 19 19\n' | mkemb > qd.emb
	run -0 sym-match -q -s sup.emb qd.emb
	[ "$output" = "0	d	b	0.0481" ]
	cat d.emb >> sup.emb
	run -0 sym-match -q -s sup.emb qd.emb
	[ "$output" = "0	d	d	0.4142" ]
	# the same as a second -s
	printf 'a 0 0\na 0 1\nb 5 5\nc 10 0\n' | mkemb > sup2.emb
	run -0 sym-match -q -s sup2.emb -s d.emb qd.emb
	[ "$output" = "0	d	d	0.4142" ]
}

@test "sym-match: --reject predicts unknown, and counts it right for new classes" {
	printf 'a 0 0.1\nz 50 50\n' | mkemb > open.emb
	run -0 --separate-stderr sym-match -s sup.emb --reject 0.5 --confusion open.emb
	[ "$output" = "0	a	a	0.9091
1	z	unknown	0.0155" ]
	[ "$stderr" = "accuracy: 1.0000 (2 queries)
class a: 1.0000 (1/1)
class z: 1.0000 (1/1)
confusion: rows true, columns predicted
true\\pred	a	b	c	unknown
a	1	0	0	0
z	0	0	0	1" ]
}

@test "sym-match: --reject refuses a support class named unknown, which it would print" {
	printf 'unknown 50 50\n' | mkemb > u.emb
	run -1 --separate-stderr sym-match -s sup.emb -s u.emb --reject 0.5 q.emb
	[ -z "$output" ]
	[ "$stderr" = 'sym-match: --reject: a support class is named "unknown", which is what a rejection prints: rename it' ]
	# without --reject it is a class like any other
	printf 'unknown 49 49\n' | mkemb > qu.emb
	run -0 sym-match -q -s sup.emb -s u.emb qu.emb
	[ "$output" = "0	unknown	unknown	0.4142" ]
}

@test "sym-match: refuses another model, another size, NaN" {
	printf 'a 0 0\nb 1 1\n' | mkemb -m model-id=1a2b3c4d > s1.emb
	printf 'a 0 0\n' | mkemb -m model-id=5e6f7a8b > q1.emb
	run -1 --separate-stderr sym-match -s s1.emb q1.emb
	[ -z "$output" ]
	[ "$stderr" = "sym-match: q1.emb: embedded by model 5e6f7a8b, support by 1a2b3c4d" ]
	printf 'a 0 0 0\n' | mkemb > q3.emb
	run -1 --separate-stderr sym-match -s sup.emb q3.emb
	[ -z "$output" ]
	[ "$stderr" = "sym-match: q3.emb: 3-dimensional, support is 2-dimensional" ]
	printf 'a 0 0\nb nan 1\n' | mkemb > nan.emb
	run -1 --separate-stderr sym-match -s nan.emb q.emb
	[ -z "$output" ]
	[ "$stderr" = "sym-match: nan.emb: item 1: value 0 is not finite (nan)" ]
	printf 'a 1 inf\n' | mkemb > inf.emb
	run -1 --separate-stderr sym-match -s sup.emb < inf.emb
	[ "$stderr" = "sym-match: stdin: item 0: value 1 is not finite (inf)" ]
	# finite, but squared distances would overflow a float
	printf 'a 1e20 0\nb 0 1\n' | mkemb > big.emb
	run -1 --separate-stderr sym-match -s big.emb q.emb
	[ -z "$output" ]
	[ "$stderr" = "sym-match: big.emb: item 0: values too large (squared length 1e+40, over 8.50706e+37)" ]
}

@test "sym-match: a copy of a support vector scores exactly 1" {
	# ||q||^2 + ||s||^2 - 2 q.s alone leaves about eps ||q||^2 of a
	# duplicate's distance: 0.9878 here before the exact rescoring
	awk 'BEGIN { srand(1); printf "a"; for (k = 0; k < 784; k++)
		printf " %.6f", int(rand() * 256) / 255; printf "\n"
		printf "b"; for (k = 0; k < 784; k++)
		printf " %.6f", int(rand() * 256) / 255; printf "\n" }' | mkemb > dup.emb
	run -0 --separate-stderr sym-match -t 1 -s dup.emb -k 2 dup.emb
	[ "${lines[0]%%$'\t'b*}" = "0	a	a	1.0000	a	1.0000" ]
	[[ "${lines[1]}" == "1	b	b	1.0000	b	1.0000	a	0."* ]]
}

# -v's search line: the pass and the share of pairs scored exactly. On
# 2000 random 16-D points the first rows fill each query's list and the
# screen rules out nearly all the others; on 2000 points along a line,
# coordinates up to 2000 and 1 apart, bf16 cannot tell neighbours apart
# and far more are rescored, and the answers are exact all the same.
@test "sym-match: -v reports the search, its pass and what it rescored" {
	awk 'BEGIN { srand(3); for (i = 0; i < 2040; i++) {
		printf "%s", i < 2000 ? "p" i : "q";
		for (k = 0; k < 16; k++) printf " %.4f", rand() * 2 - 1
		printf "\n" } }' > pts.txt
	head -n 2000 pts.txt | mkemb > rnd.emb
	tail -n 40 pts.txt | mkemb > rq.emb
	run -0 --separate-stderr sym-match -v -t 1 -s rnd.emb rq.emb
	[ "${#lines[@]}" -eq 40 ]
	[[ "$stderr" =~ sym-match:\ search:\ [0-9.]+\ s,\ [0-9]+\ queries/s,\ cpu\ [0-9.]+\ s,\ (bf16|fp32)\ pass,\ [0-9.]+%\ of\ pairs\ rescored ]]
	pct=$(sed -n 's/.*pass, \([0-9.e-]*\)% of pairs.*/\1/p' <<< "$stderr")
	echo "random: rescored $pct %"
	# measured 0.47 %
	awk -v p="$pct" 'BEGIN { exit !(p > 0 && p < 5) }'

	awk 'BEGIN { for (i = 0; i < 2000; i++) printf "p%d %d %d\n", i, i, i % 2 }' |
	    mkemb > line.emb
	printf 'x 0.2 0\ny 1500.6 0.5\n' | mkemb > lq.emb
	run -0 --separate-stderr sym-match -v -q -t 1 -s line.emb lq.emb
	[ "$output" = "0	x	p0	0.8333
1	y	p1501	0.6096" ]
}

@test "sym-match: empty, truncated and wrong input" {
	run -1 --separate-stderr sym-match -s sup.emb < /dev/null
	[ -z "$output" ]
	[ "$stderr" = "sym-match: stdin: empty input (expected a sym stream)" ]
	run -1 --separate-stderr sym-match -s /dev/null q.emb
	[ "$stderr" = "sym-match: /dev/null: empty input (expected a sym stream)" ]
	run -1 --separate-stderr sym-match -s missing.emb q.emb
	[[ "$stderr" == "sym-match: missing.emb: "* ]]
	head -c 60 sup.emb > cut.emb
	run -1 --separate-stderr sym-match -s cut.emb q.emb
	[ -z "$output" ]
	[[ "$stderr" == "sym-match: cut.emb: "*truncated* ]]
	printf 'a 1 2\n' | mkimages 2 1 > img.sym
	run -1 --separate-stderr sym-match -s img.sym q.emb
	[ "$stderr" = "sym-match: img.sym: expected embeddings, got images" ]
	run -1 --separate-stderr sym-match -s sup.emb --summary nodir/sum.txt q.emb
	[[ "$stderr" == "sym-match: nodir/sum.txt"* ]]
}

# 12 classes in two groups, 8 noisy vectors each
mkep() {
	awk 'BEGIN { srand(3); for (c = 0; c < 12; c++) for (i = 0; i < 8; i++) {
		printf "g%d/c%d", c % 2, c
		for (k = 0; k < 3; k++) printf " %.4f", (k == 0 ? c : 0) + (rand() - 0.5) * 2.5
		printf "\n" } }' | mkemb
}

@test "sym-match: episodes are reproducible and the interval shrinks" {
	mkep > ep.emb
	run -0 sym-match --episodes 50 --queries 3 --seed 4 ep.emb
	a=$output
	[[ "$a" =~ ^accuracy:\ 0\.[0-9]{4}\ ±\ 0\.[0-9]{4}\ \(95%\ CI,\ 50\ episodes\)$ ]]
	run -0 sym-match --episodes 50 --queries 3 --seed 4 ep.emb
	[ "$output" = "$a" ]
	run -0 sym-match --episodes 50 --queries 3 --seed 5 ep.emb
	[ "$output" != "$a" ]
	w50=$(echo "$a" | awk '{print $4}')
	run -0 sym-match --episodes 2000 --queries 3 --seed 4 ep.emb
	w2000=$(echo "$output" | awk '{print $4}')
	awk -v a="$w50" -v b="$w2000" 'BEGIN { exit !(b < a / 4) }'
	run -0 sym-match --episodes 20 --way 6 --within-group --shot 2 --queries 2 ep.emb
	[[ "$output" == accuracy:* ]]
	run -1 --separate-stderr sym-match --episodes 20 --way 7 --within-group --queries 2 ep.emb
	[ -z "$output" ]
	[ "$stderr" = "sym-match: ep.emb: no group has 7 classes with at least 3 vectors" ]
	# a name without '/' is a group of its own, as for sym-pairs and
	# sym-train: no group of 2 here
	printf 'a 1 0\na 1 1\nb 0 1\nb 0 2\n' | mkemb > flat.emb
	run -1 --separate-stderr sym-match --episodes 5 --way 2 --queries 1 --within-group flat.emb
	[ "$stderr" = "sym-match: flat.emb: no group has 2 classes with at least 2 vectors" ]
	run -1 --separate-stderr sym-match --episodes 5 --queries 8 ep.emb
	[ "$stderr" = "sym-match: ep.emb: 0 classes have at least 9 vectors, 5-way episodes need 5" ]
	run -2 --separate-stderr sym-match --episodes 1 ep.emb
	[ "${stderr_lines[0]}" = "sym-match: --episodes: 1 is out of range 2..10000000" ]
	run -2 --separate-stderr sym-match --episodes 5 -k 2 ep.emb
	[ -z "$output" ]
	# episode options without --episodes would be ignored: refused
	run -2 --separate-stderr sym-match -s ep.emb --way 3 ep.emb
	[ "${stderr_lines[0]}" = "sym-match: --way, --shot, --queries, --seed and --within-group need --episodes" ]
	[ -z "$output" ]
	# the same without -s: the missing --episodes is what is said
	run -2 --separate-stderr sym-match --way 3 ep.emb
	[ "${stderr_lines[0]}" = "sym-match: --way, --shot, --queries, --seed and --within-group need --episodes" ]
}

@test "sym-match: standard input is read once" {
	printf 'a 0 0\nb 5 5\n' | mkemb > sup.emb
	for a in "-s - -s - sup.emb" "-s -" "-s - -" "-s sup.emb -s - -"; do
		run -2 --separate-stderr sym-match $a < sup.emb
		[ "${stderr_lines[0]}" = "sym-match: standard input is read once: -s - needs the queries in a file, and only one -s -" ]
		[ -z "$output" ]
	done
	run -0 sym-match -q -s - sup.emb < sup.emb
	[ "$output" = $'0\ta\ta\t1.0000\n1\tb\tb\t1.0000' ]
}

@test "sym-match: --verify on separable and random pairs" {
	# same pairs close, different pairs far: AUC 1, EER 0
	{ for i in 0 1 2 3 4 5; do echo "x$i $i 0"; echo "x$i $i 0.1"; done
	  for i in 0 2 4 6 8 10; do echo "pair $i $((i + 1)) 1"; done
	  for i in 0 2 4 6 8; do echo "pair $i $((i + 2)) 0"; done; } | mkemb > sep.emb
	run -0 --separate-stderr sym-match --verify --threshold 0.8 sep.emb
	[ "${#lines[@]}" -eq 11 ]
	[ "${lines[0]}" = "0	1	0.9091" ]
	[ "${lines[6]}" = "6	0	0.5000" ]
	[ "$stderr" = "auc: 1.0000
eer: 0.0000
best-threshold: 0.9091 accuracy 1.0000
threshold: 0.8000 accuracy 1.0000" ]
	# random vectors, random truth: about 0.5
	awk 'BEGIN { srand(11); for (i = 0; i < 4000; i++) printf "- %.5f %.5f\n", rand(), rand();
		for (i = 0; i < 2000; i++) printf "pair %d %d %d\n", 2 * i, 2 * i + 1, rand() < 0.5 }' | mkemb > rnd.emb
	run -0 --separate-stderr sym-match --verify rnd.emb
	auc=$(echo "$stderr" | awk '/^auc:/ {print $2}')
	awk -v a="$auc" 'BEGIN { exit !(a > 0.45 && a < 0.55) }'
	# one kind of pair only: an error, and no data on stdout
	printf 'a 0 0\na 1 1\npair 0 1 1\n' | mkemb > one.emb
	run -1 --separate-stderr sym-match --verify one.emb
	[ -z "$output" ]
	[ "$stderr" = "sym-match: one.emb: need both same and different pairs (1 same, 0 different)" ]
	run -1 --separate-stderr sym-match --verify q.emb
	[ "$stderr" = "sym-match: q.emb: expected pairs, got embeddings" ]
}

@test "sym-match: a contrastive model's similarity and --summary file" {
	printf 'a 0 0\nb 3 0\n' | mkemb -m model-id=0000abcd -m loss=contrastive -m margin=2 > cs.emb
	printf 'a 1 0\n' | mkemb -m model-id=0000abcd -m loss=contrastive -m margin=2 > cq.emb
	# 2^(-4 d^2 / m^2) with d = 1, m = 2
	run -0 --separate-stderr sym-match -s cs.emb --summary out.txt cq.emb
	[ "$output" = "0	a	a	0.5000" ]
	[ -z "$stderr" ]
	[ "$(cat out.txt)" = "accuracy: 1.0000 (1 queries)
class a: 1.0000 (1/1)" ]
}

@test "sym-match: support examples without a class stand for themselves" {
	printf 'a 0 0\n- 0 1\nb 5 5\n- 10 0\n' | mkemb > su.emb
	run -0 sym-match -q -k 2 -s su.emb q.emb
	[ "$output" = "0	a	a	0.8173	a	0.8173	#1	0.5536
1	b	b	0.4142	b	0.4142	#1	0.1667
2	c	#3	0.4142	#3	0.4142	b	0.1502
3	-	a	0.1667	a	0.1667	b	0.1667" ]
	run -0 sym-match -q -k 2 --reduce mean -s su.emb q.emb
	[ "${lines[0]}" = "0	a	a	0.8173	a	0.8173	#1	0.5536" ]
}

@test "sym-match: a bce model scores with its head, bad heads refused" {
	# head weights -1 -1 and bias 2, as little-endian f32 in hex
	head=000080bf000080bf00000040
	printf 'a 0 0\nb 3 3\n' | mkemb -m model-id=00000001 -m loss=bce -m head=$head > hs.emb
	printf 'a 0.5 0\nb 2 3\n' | mkemb -m model-id=00000001 -m loss=bce -m head=$head > hq.emb
	# sigmoid(2 - |q - s|_1)
	run -0 sym-match -q -k 2 -s hs.emb hq.emb
	[ "$output" = "0	a	a	0.8176	a	0.8176	b	0.0293
1	b	b	0.7311	b	0.7311	a	0.0474" ]
	printf 'a 0 0\npair 0 0 1\n' | mkemb -m loss=bce -m head=00ff > bad.emb
	run -1 --separate-stderr sym-match --verify bad.emb
	[ -z "$output" ]
	[ "$stderr" = 'sym-match: bad.emb: bce embeddings need a "head" of 3 values' ]
	printf 'a 0 0\n' | mkemb -m loss=triplet > bad2.emb
	run -1 --separate-stderr sym-match -s bad2.emb bad2.emb
	[ "$stderr" = 'sym-match: bad2.emb: unknown loss "triplet"' ]
}

@test "sym-match: several shots, best shot or prototype" {
	mkep > ep.emb
	run -0 sym-match --episodes 30 --shot 3 --queries 2 --seed 2 ep.emb
	mean=$output
	run -0 sym-match --episodes 30 --shot 3 --queries 2 --seed 2 --reduce mean ep.emb
	[ "$output" = "$mean" ]
	run -0 sym-match --episodes 30 --shot 3 --queries 2 --seed 2 --reduce max ep.emb
	[[ "$output" == "accuracy: "*"(95% CI, 30 episodes)" ]]
}

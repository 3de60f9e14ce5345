#!/bin/sh
# bench/match/run.sh: sym-match against FAISS IndexFlatL2 (exact k-NN) on
# the same random vectors: 100,000 support x 10,000 queries, standard
# normal, fixed seeds, d = 64 and 128, k = 1 and 5, both on 2 threads.
#
# The support vectors carry no class, so sym-match treats each as its own
# class ("#row") and does the plain k-NN search FAISS does. For each case
# it prints queries/s of FAISS's index.search, of sym-match's search (its
# -v "search:" line), and of the whole sym-match process timed from
# outside (start-up, reading both streams, output); the ratios to FAISS;
# the ratio of CPU seconds (all threads) FAISS and sym-match spend in the
# search, steadier than wall time on a busy machine; and the fraction of
# queries whose nearest neighbour agrees. Each figure is the best of REPS
# runs (default 3).
# Last, sym-match's peak RSS (GNU time) matching 1,000 queries against
# 1,000,000 support vectors of d = 128, next to the vectors' own size.
#
# usage: sh bench/match/run.sh [build-dir]      (from the repository root)
# Needs Debian's python3-faiss and python3-numpy (run by /usr/bin/python3),
# /usr/bin/time, and about 1.2 GB of scratch space in $TMPDIR.
set -eu
build=${1:-build}
bin=$build/bin
py=/usr/bin/python3
reps=${REPS:-3}
dir=$(mktemp -d "${TMPDIR:-/tmp}/symbench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
for f in "$bin/sym-match" "$build/libsym.a" /usr/bin/time; do
	[ -e "$f" ] || { echo "bench: $f missing (make first; GNU time:" \
	    "apt-get install time)" >&2; exit 1; }
done
$py -c 'import faiss, numpy' 2>/dev/null ||
	{ echo "bench: $py cannot import faiss and numpy (python3-faiss," \
	    "python3-numpy)" >&2; exit 1; }

cc -O2 -std=c11 -D_DEFAULT_SOURCE -Ilib -o "$dir/raw2emb" \
	bench/match/raw2emb.c "$build/libsym.a" \
	$(pkg-config --libs openblas libpng zlib) -lm -lpthread

now() {
	date +%s.%N
}

# the larger (max) or smaller (min) of two numbers
max() {
	echo "$1 $2" | awk '{ print ($1 > $2) ? $1 : $2 }'
}
min() {
	echo "$1 $2" | awk '{ print ($1 < $2) ? $1 : $2 }'
}

printf '%-4s %-2s %9s %10s %9s %9s %8s %7s %7s\n' dim k faiss_q/s \
	search_q/s whole_q/s search_x whole_x cpu_x agree
for d in 64 128; do
	$py bench/match/gen.py "$dir/s.f32" 100000 $d 1
	$py bench/match/gen.py "$dir/q.f32" 10000 $d 2
	"$dir/raw2emb" $d 100000 < "$dir/s.f32" > "$dir/s.emb"
	"$dir/raw2emb" $d 10000 < "$dir/q.f32" > "$dir/q.emb"
	for k in 1 5; do
		f=0 fc=1e9 s=0 sc=1e9 w=0
		for r in $(seq "$reps"); do
			# "search: 4.11 s, 2432 queries/s, cpu 8.02 s"
			$py bench/match/faiss_knn.py "$dir/s.f32" "$dir/q.f32" \
			    $d $k "$dir/faiss.txt" > "$dir/ferr"
			f=$(max "$f" "$(awk '{ print $4 }' "$dir/ferr")")
			fc=$(min "$fc" "$(awk '{ print $7 }' "$dir/ferr")")
			t0=$(now)
			"$bin/sym-match" -v -t 2 -k $k -s "$dir/s.emb" \
			    "$dir/q.emb" > "$dir/sym.tsv" 2> "$dir/err"
			t1=$(now)
			s=$(max "$s" "$(awk '/search:/ { print $5 }' \
			    "$dir/err")")
			sc=$(min "$sc" "$(awk '/search:/ { print $8 }' \
			    "$dir/err")")
			w=$(max "$w" "$(echo "$t0 $t1" |
			    awk '{ printf "%.0f", 10000 / ($2 - $1) }')")
		done
		agree=$(cut -f3 "$dir/sym.tsv" | tr -d '#' |
		    paste - "$dir/faiss.txt" |
		    awk '$1 == $2 { n++ } END { printf "%.4f", n / NR }')
		echo "$d $k $f $s $w $fc $sc $agree" | awk '{ printf \
		    "%-4s %-2s %9.0f %10.0f %9.0f %8.2fx %7.2fx %6.2fx %7s\n",
		    $1, $2, $3, $4, $5, $4 / $3, $5 / $3, $6 / $7, $8 }'
	done
done
grep blas: "$dir/err" || true

# memory: the support vectors plus bounded blocks, not a second copy
$py bench/match/gen.py "$dir/s.f32" 1000000 128 3
$py bench/match/gen.py "$dir/q.f32" 1000 128 4
"$dir/raw2emb" 128 1000000 < "$dir/s.f32" > "$dir/s.emb"
rm -f "$dir/s.f32"
"$dir/raw2emb" 128 1000 < "$dir/q.f32" > "$dir/q.emb"
/usr/bin/time -v "$bin/sym-match" -q -t 2 -s "$dir/s.emb" "$dir/q.emb" \
	2> "$dir/time" > /dev/null
awk '/Maximum resident/ { rss = $NF / 1024 }
	END { v = 1000000 * 128 * 4 / 1048576
	printf "1M x 128 support: vectors %.0f MiB, peak RSS %.0f MiB, " \
	    "overhead %.0f MiB\n", v, rss, rss - v }' "$dir/time"

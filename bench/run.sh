#!/bin/sh
# bench/run.sh: every speed benchmark of symnet next to its peer, in one
# run on one machine, ending with one table (workload, symnet, peer,
# ratio, target, met?). See bench/README.md.
#
#   train  pairs/s of training steps (forward, pair loss, backward, Adam;
#          128 pairs = 256 images through the shared tower) on random
#          data: bench/train/train_bench (libsym) against PyTorch CPU, for
#          mlp and conv4 on 28 x 28 (contrastive) and koch on 105 x 105
#          (bce head); the GEMM (+ direct conv) share of a conv4 step
#          and its other kernels; sym-train itself on 50,000 pairs
#          (pairs/s and peak RSS).
#   embed  images/s of sym-embed (whole process, from a file) against
#          PyTorch inference (eval, batch 256): conv4 28 px, koch 105 px.
#   match  bench/match/run.sh (sym-match against FAISS), if present.
#
# usage: sh bench/run.sh [build-dir]      (from the repository root)
# Environment: REPS rounds (default 3; each figure is the median of the
# rounds, each ratio the median of the rounds' ratios, symnet and its
# peer running back to back in every round), SKIP_MATCH=1, TUNED=1 (also
# time PyTorch with the tuned OpenBLAS settings that the team's
# REFERENCES.md (reference figures, outside this repository) lists, as
# information). Needs Debian's python3-torch (run by /usr/bin/python3),
# Fashion-MNIST (dataset-fashion-mnist), /usr/bin/time; bench/match/run.sh
# needs more (python3-faiss).
set -eu
build=${1:-build}
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
bin=$build/bin
py=/usr/bin/python3
reps=${REPS:-3}
dir=$(mktemp -d "${TMPDIR:-/tmp}/symbench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
res=$dir/results	# name|symnet|peer|ratio|target|met, one per line

for f in "$build/libsym.a" "$bin/sym-train" "$bin/sym-embed" \
    "$bin/sym-load" "$bin/sym-pairs"; do
	[ -e "$f" ] || { echo "bench: $f missing: run make first" >&2; exit 1; }
done
$py -c 'import torch' 2>/dev/null ||
	{ echo "bench: $py cannot import torch (python3-torch)" >&2; exit 1; }
# the match part's peers, checked now rather than after the others ran
[ "${SKIP_MATCH:-0}" = 1 ] || $py -c 'import faiss, numpy' 2>/dev/null ||
	{ echo "bench: $py cannot import faiss and numpy (python3-faiss," \
	    "python3-numpy)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing" >&2; exit 1; }
# the data of the sym-train and sym-embed parts, checked before any part
"$bin/sym-load" -q fashion --limit 1 > /dev/null ||
	{ echo "bench: Fashion-MNIST unreadable (dataset-fashion-mnist)" >&2; exit 1; }

# PyTorch as the reference ran it: none of the tuning variables set
torch_env() {
	env -u OPENBLAS_CORETYPE -u OPENBLAS_THREAD_TIMEOUT -u OMP_WAIT_POLICY \
	    -u OMP_NUM_THREADS \
	    -u MKL_NUM_THREADS -u OPENBLAS_NUM_THREADS "$@"
}
# the tuned setting of REFERENCES.md (SkylakeX kernels, passive OpenMP)
torch_tuned() {
	env -u OMP_NUM_THREADS OPENBLAS_CORETYPE=SkylakeX \
	    OMP_WAIT_POLICY=passive "$@"
}

now() {
	date +%s.%N
}

# value of "KEY value" in a file
kv() {
	awk -v k="$1" '$1 == k { print $2; exit }' "$2"
}

# median of the numbers given as arguments
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	END { if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# a / b
div() {
	echo "$1 $2" | awk '{ printf "%.4f", ($2 > 0) ? $1 / $2 : 0 }'
}

# the larger of two numbers
max() {
	echo "$1 $2" | awk '{ print ($1 > $2) ? $1 : $2 }'
}

# add a row: name symnet peer ratio target (">=3x", "<=300MB", ">=70%")
row() {
	met=-
	case $5 in
	">="*x) met=$(echo "$4 ${5#>=}" | tr -d x |
	    awk '{ print ($1 >= $2) ? "yes" : "NO" }') ;;
	">="*%) met=$(echo "$2 ${5#>=}" | tr -d % |
	    awk '{ print ($1 >= $2) ? "yes" : "NO" }') ;;
	"<="*MB) met=$(echo "$2 ${5#<=}" | tr -d MB |
	    awk '{ print ($1 <= $2) ? "yes" : "NO" }') ;;
	esac
	echo "$1|$2|$3|$4|$5|$met" >> "$res"
}

load() {
	echo "load: $(uptime | sed 's/.*load average/load average/')"
}

echo "symnet benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $reps rounds"
load
$py -c 'import torch; print("torch", torch.__version__)'

# ---- train: engine steps, side by side -------------------------------------

make -s -C bench/train BUILD="$build" OUT="$dir" >&2
tb=$dir/train_bench

# the ceiling: what SGEMM itself does here, 2 threads, 2048^3
"$tb" -g 2048 -n 5 -w 1 > "$dir/sym.out" 2> "$dir/sym.err"
row "info: SGEMM 2048^3 GFLOP/s, 2 threads (ceiling)" \
    "$(kv sgemm_gflops "$dir/sym.out")" - - -
echo "sgemm: $(kv sgemm_gflops "$dir/sym.out") GFLOP/s (2048^3, 2 threads)"

# train ARCH SIZE LOSS STEPS WARMUP PEER_THREADS...: rounds of symnet then
# PyTorch; sets sym_med, peer_med (best thread setting per round), ratio
train() {
	arch=$1 size=$2 loss=$3 steps=$4 warm=$5
	shift 5
	syms='' peers='' ratios=''
	for r in $(seq "$reps"); do
		"$tb" -a "$arch" -s "$size" -l "$loss" -n "$steps" \
		    -w "$warm" > "$dir/sym.out" 2> "$dir/sym.err"
		s=$(kv pairs_per_s "$dir/sym.out")
		p=0
		for t in "$@"; do
			torch_env $py bench/train/torch_train.py "$arch" \
			    "$size" "$loss" 128 "$steps" "$warm" "$t" \
			    > "$dir/torch.out"
			v=$(kv pairs_per_s "$dir/torch.out")
			echo "  round $r: $arch torch $t thread(s) $v pairs/s"
			eval "pt_$t=\"\${pt_$t:-} $v\""
			p=$(max "$p" "$v")
		done
		echo "  round $r: $arch symnet $s pairs/s"
		syms="$syms $s" peers="$peers $p"
		ratios="$ratios $(div "$s" "$p")"
	done
	# shellcheck disable=SC2086
	sym_med=$(median $syms) peer_med=$(median $peers) \
	    ratio=$(median $ratios)
}

echo "train: pairs/s (128 pairs per step), symnet vs PyTorch"
pt_1='' pt_2=''
train mlp 28 contrastive 200 20 1 2
# shellcheck disable=SC2086
row "train mlp 28px pairs/s (torch: best of 1/2 thr)" "$sym_med" \
    "$peer_med" "$ratio" ">=4x"
# shellcheck disable=SC2086
echo "  mlp torch medians: 1 thread $(median $pt_1), 2 threads $(median $pt_2)"
pt_2=''
train conv4 28 contrastive 10 2 2
conv4_torch=$peer_med
row "train conv4 28px pairs/s" "$sym_med" "$peer_med" "$ratio" ">=3x"
train koch 105 bce 2 1 2
row "train koch 105px bce pairs/s" "$sym_med" "$peer_med" "$ratio" ">=1.2x"

if [ "${TUNED:-0}" = 1 ]; then
	for a in mlp:1 mlp:2 conv4:2; do
		torch_tuned $py bench/train/torch_train.py "${a%:*}" 28 \
		    contrastive 128 20 3 "${a#*:}" > "$dir/torch.out"
		row "info: torch tuned ${a%:*} ${a#*:} thr pairs/s" - \
		    "$(kv pairs_per_s "$dir/torch.out")" - -
	done
fi

echo "train: where a conv4 step goes (symnet, 2 threads)"
"$tb" -k -a conv4 -s 28 -n 10 -w 2 > "$dir/sym.out" 2> "$dir/sym.err"
sed 's/^/  /' "$dir/sym.out"
row "conv4 step: GEMM+direct conv share" \
    "$(kv gemm_share "$dir/sym.out")%" - - ">=70%"
echo "train: where a koch step goes (symnet, 2 threads)"
"$tb" -k -a koch -s 105 -l bce -n 1 -w 1 > "$dir/sym.out" 2> "$dir/sym.err"
grep -v '^spec' "$dir/sym.out" | sed 's/^/  /'

# ---- train: the real command -----------------------------------------------

echo "train: sym-train --arch conv4 on 50,000 Fashion-MNIST pairs, 1 epoch"
"$bin/sym-load" -q fashion | "$bin/sym-pairs" -q -n 50000 > "$dir/pairs.sym"
/usr/bin/time -v "$bin/sym-train" -a conv4 -e 1 -o "$dir/p.model" \
    < "$dir/pairs.sym" 2> "$dir/train.err"
grep 'pairs/s' "$dir/train.err" | sed 's/^/  /'
st=$(awk '/pairs\/s/ { for (i = 2; i <= NF; i++)
    if ($i == "pairs/s" || $i == "pairs/s,") v = $(i - 1) } END { print v }' \
    "$dir/train.err")
rss=$(awk '/Maximum resident/ { printf "%.0f", $NF / 1024 }' "$dir/train.err")
row "sym-train conv4 50k pairs pairs/s" "$st" "$conv4_torch" \
    "$(div "$st" "$conv4_torch")" ">=3x"
row "sym-train conv4 50k pairs peak RSS" "${rss}MB" - - "<=300MB"
rm -f "$dir/pairs.sym" "$dir/p.model"

# ---- embed -------------------------------------------------------------------

echo "embed: images/s, sym-embed (whole process) vs PyTorch eval"
"$bin/sym-load" -q fashion --per-class 50 > "$dir/s28.sym"
"$bin/sym-load" -q fashion --size 105 --per-class 50 > "$dir/s105.sym"
"$bin/sym-train" -q -a conv4 -e 1 --pairs-per-epoch 256 \
    -o "$dir/conv4.model" < "$dir/s28.sym"
"$bin/sym-train" -q -a koch -l bce --lr 1e-4 -e 1 -b 8 --pairs-per-epoch 8 \
    -o "$dir/koch.model" < "$dir/s105.sym"
"$bin/sym-load" -q fashion --per-class 1000 > "$dir/i28.sym"
"$bin/sym-load" -q fashion --size 105 --per-class 100 > "$dir/i105.sym"

# embed ARCH SIZE IMAGES PEER_IMAGES: sets sym_med, peer_med, ratio
embed() {
	syms='' peers='' ratios=''
	for r in $(seq "$reps"); do
		t0=$(now)
		"$bin/sym-embed" -m "$dir/$1.model" < "$dir/i$2.sym" \
		    > /dev/null
		t1=$(now)
		s=$(echo "$t0 $t1 $3" | awk '{ printf "%.1f", $3 / ($2 - $1) }')
		torch_env $py bench/embed/torch_embed.py "$1" "$2" "$4" 256 2 \
		    > "$dir/torch.out"
		p=$(kv images_per_s "$dir/torch.out")
		echo "  round $r: $1 symnet $s, torch $p images/s"
		syms="$syms $s" peers="$peers $p"
		ratios="$ratios $(div "$s" "$p")"
	done
	# shellcheck disable=SC2086
	sym_med=$(median $syms) peer_med=$(median $peers) \
	    ratio=$(median $ratios)
}
embed conv4 28 10000 10240
row "embed conv4 28px images/s" "$sym_med" "$peer_med" "$ratio" ">=3x"
embed koch 105 1000 1024
row "embed koch 105px images/s" "$sym_med" "$peer_med" "$ratio" ">=3x"
# the engine alone (eval forward of 256 random images, no I/O), to tell
# its cost from sym-embed's start-up and streams; then with the DFT
# convolution off (-T: koch's large kernels by the direct kernel), and
# with both off (-T -D: im2col and GEMM, as before session 6)
for a in conv4:28 koch:105; do
	"$tb" -i -a "${a%:*}" -s "${a#*:}" -b 256 -n 3 -w 1 \
	    > "$dir/sym.out" 2> "$dir/sym.err"
	"$tb" -i -T -a "${a%:*}" -s "${a#*:}" -b 256 -n 3 -w 1 \
	    > "$dir/direct.out" 2> "$dir/sym.err"
	"$tb" -i -T -D -a "${a%:*}" -s "${a#*:}" -b 256 -n 3 -w 1 \
	    > "$dir/gemm.out" 2> "$dir/sym.err"
	echo "  engine forward only, ${a%:*}:" \
	    "$(kv images_per_s "$dir/sym.out") images/s," \
	    "conv+GEMM $(kv gemm_share "$dir/sym.out")% of it;" \
	    "without DFT $(kv images_per_s "$dir/direct.out");" \
	    "im2col+GEMM path $(kv images_per_s "$dir/gemm.out") images/s" \
	    "($(div "$(kv images_per_s "$dir/sym.out")" \
	    "$(kv images_per_s "$dir/gemm.out")")x)"
done
rm -f "$dir"/*.sym "$dir"/*.model

# ---- match -------------------------------------------------------------------

if [ -f bench/match/run.sh ] && [ "${SKIP_MATCH:-0}" != 1 ]; then
	echo "match: bench/match/run.sh"
	if sh bench/match/run.sh "$build" > "$dir/match.out"; then
		sed 's/^/  /' "$dir/match.out"
		# dim k faiss_q/s search_q/s whole_q/s search_x whole_x agree
		awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $6 }' \
		    "$dir/match.out" | while read -r d k f s x; do
			row "match d=$d k=$k search q/s (FAISS)" "$s" "$f" \
			    "${x%x}" -
		done
	else
		echo "  bench/match/run.sh failed" >&2
	fi
fi

# ---- the table ---------------------------------------------------------------

echo
load
awk -F'|' 'BEGIN { printf "%-48s %10s %13s %7s %8s %4s\n", "workload",
    "symnet", "PyTorch/FAISS", "ratio", "target", "met?" }
	function num(v) {
		if (v ~ /^[0-9.]+$/)
			return v >= 100 ? sprintf("%.0f", v) : sprintf("%.1f", v)
		return v
	}
	{ r = $4 ~ /^[0-9.]+$/ ? sprintf("%.2fx", $4) : $4
	printf "%-48s %10s %13s %7s %8s %4s\n", $1, num($2), num($3), r,
	    $5, $6 }' "$res"

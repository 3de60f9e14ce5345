#!/bin/sh
# heldout.sh: leave whole alphabets out. Trains with the sym-train options
# given on the alphabets not in HELD, embeds the held-out ones and prints,
# per N in WAYS, one TSV line: tag, held-out alphabets, N, accuracy, 95 %
# interval, training seconds. N-way 1-shot within-alphabet episodes, one
# query per class (Lake's protocol on held-out alphabets).
#
# usage: heldout.sh TAG SIZE HELD [sym-train options]
#   TAG   name of the run (files go to $WORK/TAG.*)
#   SIZE  28, 56 or c28: which per-alphabet streams (data/sSIZE/*.sym) to
#         use; c28 is 28 px centred (sym-load --center --size 28, the
#         recipe's load flags)
#   HELD  comma-separated alphabets held out, e.g. Greek,Korean
# environment: BIN (the sym-* programs), WORK (scratch folder), WAYS
# (N values, default "20 5"), EPISODES (default 1000), TRAIN (if set, a
# model file to evaluate instead of training: the options are ignored),
# PAIRS (if set, sym-pairs options: train on pairs drawn from the
# training alphabets instead of on labelled images), EMBED (sym-embed
# options, e.g. --views none).
# The streams are those of this folder's data/ (make all makes them),
# wherever it is run from; BIN and WORK, when given, are taken as they
# are (relative to where it is run).
set -e
[ $# -ge 3 ] || { echo "usage: heldout.sh TAG SIZE HELD [sym-train options]" >&2; exit 2; }
tag=$1 size=$2 held=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$here/../../build/bin}
WORK=${WORK:-$here/data/runs}
WAYS=${WAYS:-20 5}
EPISODES=${EPISODES:-1000}
data=$here/data/s$size
[ -d "$data" ] || { echo "heldout.sh: no $data (make all makes it)" >&2; exit 1; }

# every held-out name must be an alphabet: a misspelt one would leave
# that alphabet in training
old_ifs=$IFS
IFS=,
for a in $held; do
	[ -f "$data/$a.sym" ] || { echo "heldout.sh: no alphabet '$a' in $data" >&2; exit 1; }
done
IFS=$old_ifs
mkdir -p "$WORK"

tr_files= te_files=
for f in "$data"/*.sym; do
	a=$(basename "$f" .sym)
	case ",$held," in
	*",$a,"*) te_files="$te_files $f" ;;
	*) tr_files="$tr_files $f" ;;
	esac
done
[ -n "$tr_files" ] || { echo "heldout.sh: every alphabet is held out" >&2; exit 1; }

model=$WORK/$tag.model
t0=$(date +%s)
if [ -n "$TRAIN" ]; then
	model=$TRAIN
elif [ -n "$PAIRS" ]; then
	# shellcheck disable=SC2086
	cat $tr_files | "$BIN"/sym-pairs -q $PAIRS |
	    "$BIN"/sym-train -q -o "$model" "$@"
else
	# shellcheck disable=SC2086
	cat $tr_files | "$BIN"/sym-train -q -o "$model" "$@"
fi
t1=$(date +%s)
# shellcheck disable=SC2086
cat $te_files | "$BIN"/sym-embed -q -m "$model" ${EMBED:-} > "$WORK/$tag.emb"
for n in $WAYS; do
	"$BIN"/sym-match --episodes "$EPISODES" --way "$n" --shot 1 \
	    --queries 1 --within-group "$WORK/$tag.emb" > "$WORK/$tag.$n.txt"
	# "accuracy: 0.3257 ± 0.0068 (95% CI, 1000 episodes)"
	awk -v tag="$tag" -v held="$held" -v n="$n" -v s=$((t1 - t0)) \
	    '/^accuracy:/ { printf "%s\t%s\t%d\t%.4f\t%.4f\t%d\n",
	    tag, held, n, $2, $4, s }' "$WORK/$tag.$n.txt"
done

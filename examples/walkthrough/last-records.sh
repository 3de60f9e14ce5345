#!/bin/sh
# last-records.sh N ALL FIRST: write the last N records of the images
# stream ALL to stdout. FIRST is a stream of N records with the same
# header (sym-load ... --limit N) and lends its header, which announces N
# records. sym-load can take the first N images (--limit) but not the last
# ones, and every record of an images stream has the same size (a tag, a
# 4-byte label, the pixels: sym-stream(5)), so the cut is plain byte
# arithmetic.
set -e
[ $# -eq 3 ] || { echo "usage: last-records.sh N ALL FIRST" >&2; exit 2; }
n=$1 all=$2 first=$3
total=$(sym-info -H "$all" | sed -n 's/^items: //p')
shape=$(sym-info -H "$all" | sed -n 's/^shape: //p')
px=$(($(echo "$shape" | sed "s/x/ * /g")))
rec=$((5 + px))
[ "$n" -le "$total" ] || { echo "last-records.sh: $all has $total records, not $n" >&2; exit 1; }
hdr=$(($(wc -c < "$first") - n * rec))
head -c "$hdr" "$first"
tail -c $((n * rec)) "$all"

#!/bin/sh
# demo.sh [BIN]: the project's main job, `make demo`. Learn what makes
# clothes alike on Fashion-MNIST classes 0-2 (T-shirt, Trouser, Pullover;
# 3 and 4, Dress and Coat, are held out to pick the epoch), then recognise
# the five classes it never saw (5-9: Sandal, Shirt, Sneaker, Bag, Ankle
# boot) from ONE memorised example each, and compare with nearest
# neighbours on raw pixels (every image centred and scaled by its ink
# first: fashion/load-flags). Writes everything into $DEMO_OUT (demo/);
# $DEMO_SEED (1) seeds training and the memorised examples.
# Its last line, which scripts read, is
#   one-shot 5-way: learned 0.xxxx ± 0.xxxx, raw pixels 0.xxxx ± 0.xxxx
# examples/fashion has the same in full (5-shot too), and results.md there
# the experiments behind this recipe.
set -e
bin=${1:-build/bin}
PATH=$(cd "$bin" && pwd):$PATH
out=${DEMO_OUT:-demo}
fashion=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
seed=${DEMO_SEED:-1}
# the sym-train options, shared with examples/fashion: a 3-layer conv
# tower that keeps a 7x7 map (6272 numbers), prototypical loss on 12-way
# episodes of the 3 classes and their 90/180/270 rotations, random affine
# distortions, and short (3 classes overfit fast); the model asks
# sym-embed to embed each image mirrored too, averaged over shifts
train=$(grep -v '^#' "$(dirname "$0")/fashion/recipe")
# the sym-load options, shared too: every image is centred on its ink's
# centre of mass and scaled to one ink spread, so garments drawn larger
# or smaller, higher or lower, compare alike
load=$(grep -v '^#' "$(dirname "$0")/fashion/load-flags")
mkdir -p "$out"
start=$(date +%s)

echo "1. training on Fashion-MNIST classes 0-2, validating on 3-4" >&2
sym-load -q fashion "$fashion" --classes 0-2 $load > "$out/train.sym"
sym-load -q fashion "$fashion" --classes 3-4 --per-class 1000 --shuffle \
    --seed "$seed" $load > "$out/val.sym"
sym-train -s "$seed" $train --val "$out/val.sym" --val-way 2 \
    --val-episodes 5000 -o "$out/fashion.model" < "$out/train.sym" \
    2> "$out/train.log" || { cat "$out/train.log" >&2; exit 1; }
sed 's/^/   /' "$out/train.log" >&2

echo "2. memorising one training image of each unseen class 5-9" >&2
sym-load -q fashion "$fashion" --classes 5-9 --per-class 1 --shuffle \
    --seed "$seed" $load > "$out/support.sym"
sym-embed -q -m "$out/fashion.model" < "$out/support.sym" > "$out/support.emb"

echo "3. classifying the 5000 test images of classes 5-9" >&2
sym-load -q fashion "$fashion" --set test --classes 5-9 $load \
    > "$out/test.sym"
sym-embed -q -m "$out/fashion.model" < "$out/test.sym" > "$out/test.emb"
sym-match -s "$out/support.emb" -k 3 --summary "$out/summary.txt" \
    < "$out/test.emb" > "$out/matches.tsv"
sed 's/^/   /' "$out/summary.txt"
sym-show -q -m "$out/matches.tsv" -S "$out/support.sym" -n 15 \
    -o "$out/demo.png" < "$out/test.sym"
echo "   wrote $out/demo.png: queries beside their 3 best matches" >&2

echo "4. 1000 5-way 1-shot episodes on the test images, learned vs raw pixels" >&2
sym-embed -q --raw < "$out/test.sym" > "$out/test.raw"
ep="--episodes 1000 --way 5 --shot 1 --queries 15 --seed 1"
learned=$(sym-match $ep < "$out/test.emb")
raw=$(sym-match $ep < "$out/test.raw")
echo "   learned:    $learned"
echo "   raw pixels: $raw"
echo "   ($(($(date +%s) - start)) s)" >&2
ci() { echo "$1" | sed -n 's/^accuracy: \([0-9.]*\) ± \([0-9.]*\) .*/\1 ± \2/p'; }
l=$(ci "$learned") r=$(ci "$raw")
[ -n "$l" ] && [ -n "$r" ] || { echo "demo.sh: cannot read sym-match's accuracy" >&2; exit 1; }
echo "one-shot 5-way: learned $l, raw pixels $r"

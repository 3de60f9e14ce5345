#!/usr/bin/env bats
# Killing sym-train: SIGINT and SIGTERM leave a valid checkpoint that
# resumes to the same bytes as an uninterrupted run; SIGKILL at any
# moment leaves each file whole (old or new) or absent; --max-memory
# refuses, before reading, input that would need more (sym-train and
# sym-pairs). Also: files written by rename get the umask's mode.
bats_require_minimum_version 1.5.0
load helper

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	sym-load -q fashion --classes 0-4 --per-class 100 > small.sym
	# the reference: six epochs of about 0.3 s each, uninterrupted
	sym-train -q $OPTS -o full.model < small.sym
}

setup() {
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
	D=$BATS_FILE_TMPDIR
}

OPTS="-t 1 --arch mlp -e 6 --pairs-per-epoch 5000 -s 3"

# True when the commands were built with AddressSanitizer, which maps
# terabytes of shadow memory and so cannot run under ulimit -v.
asan() {
	grep -q __asan_init "$SYM_BIN/sym-info"
}

# wait_for PATTERN FILE: until a line of FILE matches (at most 60 s)
wait_for() {
	local i
	for i in $(seq 1 600); do
		grep -q "$1" "$2" && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$1' in $2" >&2
	return 1
}

# interrupt SIGNAL AFTER OPTION...: start sym-train OPTION... on
# small.sym, wait for the line AFTER on its stderr, send SIGNAL; then
# status holds its exit status and err its stderr.
interrupt() {
	local sig=$1 after=$2 pid
	shift 2
	sym-train "$@" < "$D/small.sym" 2> err &
	pid=$!
	wait_for "$after" err || { kill "$pid"; wait "$pid"; return 1; }
	kill -"$sig" "$pid"
	status=0
	wait "$pid" || status=$?
}

@test "kill: SIGTERM writes a checkpoint; resuming gives the same bytes" {
	interrupt TERM '^epoch 1/6' $OPTS -o m.model
	[ "$status" = 1 ]
	[[ "$(tail -1 err)" =~ ^sym-train:\ interrupted\ in\ epoch\ [1-6]\ after\ [0-9]+\ of\ [0-9]+\ steps\;\ checkpoint\ written\ to\ m\.model\.ckpt\ \(continue\ with\ --resume\ m\.model\.ckpt\)$ ]]
	run -0 --separate-stderr sym-info --check m.model.ckpt
	[ -z "$output$stderr" ]
	[ "$(ls -A)" = "err
m.model.ckpt" ]
	sym-train $OPTS --resume m.model.ckpt -o m.model < "$D/small.sym" 2> rerr
	cmp m.model "$D/full.model"
	# the resumed epoch's loss says which steps it averages
	local e s n
	e=$(sed -n 's/.* in epoch \([0-9]*\) after.*/\1/p' err)
	s=$(sed -n 's/.* after \([0-9]*\) of.*/\1/p' err)
	n=$(sed -n 's/.* of \([0-9]*\) steps.*/\1/p' err)
	if [ "$s" -gt 0 ]; then
		grep -Eq "^epoch $e/6: loss [0-9.]+ \(steps $((s + 1))-$n, resumed\), " rerr
	else
		grep -Eq "^epoch $e/6: loss [0-9.]+, " rerr
	fi
	# later epochs are whole
	[ "$(grep -c 'resumed' rerr)" -le 1 ]
}

@test "kill: SIGINT, then SIGTERM of the resumed run, into --checkpoint; same bytes" {
	interrupt INT '^epoch 1/6' $OPTS --checkpoint c.ckpt -o m.model
	[ "$status" = 1 ]
	[[ "$(tail -1 err)" == *"; checkpoint written to c.ckpt (continue with --resume c.ckpt)" ]]
	sym-info --check c.ckpt
	first=$(sed -n 's/.*interrupted in epoch \([0-9]*\) after \([0-9]*\) of .*/\1 \2/p' err)
	# the message counts as the checkpoint does: epochs and steps done
	run -0 sym-info c.ckpt
	[[ "$output" == *$'\ncheckpoint epoch: '"$(( ${first% *} - 1 ))"$'\ncheckpoint step: '"${first#* }"$'\n'* ]]
	# the resumed run goes on from there, and is stopped again
	interrupt TERM '^epoch [2-6]/6' $OPTS --checkpoint c.ckpt --resume c.ckpt -o m.model
	[ "$status" = 1 ]
	second=$(sed -n 's/.*interrupted in epoch \([0-9]*\) after \([0-9]*\) of .*/\1 \2/p' err)
	[ "${second% *}" -gt "${first% *}" ]
	sym-info --check c.ckpt
	[ ! -e m.model ]
	sym-train -q $OPTS --checkpoint c.ckpt --resume c.ckpt -o m.model < "$D/small.sym"
	cmp m.model "$D/full.model"
	[ "$(ls -A)" = "c.ckpt
err
m.model" ]
}

@test "kill: SIGINT or SIGTERM while the input is still coming says so, and leaves nothing" {
	for sig in INT TERM; do
		sym-train -t 1 --arch mlp -e 2 -o m.model < <(sleep 2; cat "$D/small.sym") 2> err &
		pid=$!
		sleep 1
		kill -$sig $pid
		status=0
		wait $pid || status=$?
		[ "$status" = 1 ]
		[[ "$(cat err)" == "sym-train: interrupted"* ]]
		[ "$(ls -A)" = err ]
	done
}

@test "kill: SIGKILL after an epoch's checkpoint; resuming it gives the same bytes" {
	interrupt KILL '^epoch 2/6' $OPTS --checkpoint c.ckpt -o m.model
	[ "$status" = 137 ]
	sym-info --check c.ckpt
	[ ! -e m.model ]
	sym-train -q $OPTS --resume c.ckpt -o m.model < "$D/small.sym"
	cmp m.model "$D/full.model"
}

@test "kill: SIGKILL at random moments never leaves a half-written file" {
	local k pid rc delay killed=0 done=0 temps=0 newmodel=0 newckpt=0
	# (no `run` here: bats 1.8's run, through bats_version_lt, sets a
	# global i)
	RANDOM=42
	for k in $(seq 1 16); do
		rm -f prev.model prev.ckpt
		[ ! -e m.model ] || cp m.model prev.model
		[ ! -e c.ckpt ] || cp c.ckpt prev.ckpt
		# a run takes a second or more: 4 epochs, each ending in a 1.2 MB
		# checkpoint, then the model
		sym-train -q -t 1 --arch mlp -e 4 --pairs-per-epoch 4000 -s "$k" \
		    --checkpoint c.ckpt -o m.model < "$D/small.sym" &
		pid=$!
		delay=$((RANDOM % 1000))
		sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
		kill -9 "$pid" 2> /dev/null || true
		rc=0
		wait "$pid" || rc=$?
		case $rc in
		0) done=$((done + 1)) ;;
		137) killed=$((killed + 1)) ;;
		*) echo "run $k: status $rc"; false ;;
		esac
		# each file: absent, as it was, or whole and of this run
		for f in m.model c.ckpt; do
			p=prev.${f#*.}
			[ -e "$f" ] || continue
			if [ -e "$p" ] && cmp -s "$f" "$p"; then
				continue
			fi
			sym-info --check "$f"
			# "meta: seed=N" (or "meta seed: N" of older sym-info)
			sym-info "$f" | grep -Eqx "meta(: seed=| seed: )$k"
			[ "$f" = m.model ] && newmodel=$((newmodel + 1))
			[ "$f" = c.ckpt ] && newckpt=$((newckpt + 1))
		done
		# a kill mid-write may leave its one temporary (the man page
		# promises the old file, not a clean folder); a run that
		# ended leaves none
		left=$(find . -name 'm.model.??????' -o -name 'c.ckpt.??????' | wc -l)
		[ "$left" -le $((rc == 0 ? 0 : 1)) ]
		temps=$((temps + left))
		find . \( -name 'm.model.??????' -o -name 'c.ckpt.??????' \) -delete
		[ -z "$(ls -A | grep -v -x -e m.model -e c.ckpt -e prev.model -e prev.ckpt)" ]
	done
	echo "# $killed killed, $done finished, $newmodel new models, $newckpt new checkpoints, $temps temporaries left" >&3
	[ "$killed" -gt 0 ]
}

@test "kill: a model written by rename gets the mode a plain write would (umask)" {
	(umask 077
	sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 64 -o m.model < "$D/small.sym")
	[ "$(stat -c %a m.model)" = 600 ]
	(umask 022
	sym-train -q -t 1 --arch mlp -e 1 --pairs-per-epoch 64 -o n.model < "$D/small.sym")
	[ "$(stat -c %a n.model)" = 644 ]
}

# ---- --max-memory ----

# little-endian fields of a stream header (sym-stream(5))
byte() { printf "\\$(printf '%03o' "$1")"; }
le16() { byte $(($1 & 255)); byte $((($1 >> 8) & 255)); }
le32() { le16 $(($1 & 65535)); le16 $((($1 >> 16) & 65535)); }

# claim COUNT N: a stream of N 28x28 images of classes a and b whose
# header says COUNT records ("-": unknown)
claim() {
	awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++) {
	    printf "%s", i % 2 ? "a" : "b"
	    for (j = 0; j < 784; j++) printf " %d", (i + j) % 256
	    print "" } }' | mkimages 28 28 -
}

# setcount FILE COUNT: patch the header's item count (offset 28)
setcount() {
	{ le32 "$2"; le32 0; } | dd of="$1" bs=1 seek=28 conv=notrunc status=none
}

@test "kill: --max-memory refuses from the header's count, before reading the records" {
	# the header claims a million images, 788 MB; only 3 follow, so a
	# reader that went on would say "truncated"
	claim - 3 > claim.sym
	setcount claim.sym 1000000
	run -1 --separate-stderr sym-train --max-memory 100 -o m.model < claim.sym
	[ "${stderr/: stdin:/: stdin:}" = "sym-train: stdin: needs 788 MB of memory, the limit is 100 MB (see --max-memory)" ]
	[ -z "$output" ]
	run -1 --separate-stderr sym-pairs --max-memory 100 < claim.sym
	[ "$stderr" = "sym-pairs: stdin: needs 788 MB of memory, the limit is 100 MB (see --max-memory)" ]
	[ -z "$output" ]
	# the default limit is 4096 MB, and the refusal takes no memory
	setcount claim.sym 10000000
	lim=unlimited
	asan || lim=1000000
	run -1 --separate-stderr bash -c "ulimit -v $lim; OPENBLAS_NUM_THREADS=1 exec sym-train -o m.model < claim.sym"
	[ "${stderr/: stdin:/: stdin:}" = "sym-train: stdin: needs 7880 MB of memory, the limit is 4096 MB (see --max-memory)" ]
	run -1 --separate-stderr bash -c "ulimit -v $lim; OPENBLAS_NUM_THREADS=1 exec sym-pairs < claim.sym"
	[ "$stderr" = "sym-pairs: stdin: needs 7880 MB of memory, the limit is 4096 MB (see --max-memory)" ]
	[ "$(ls -A)" = claim.sym ]
}

@test "kill: --max-memory lets through what fits, however the stream grows" {
	# 1100 images need 0.87 MB: under a limit of 1 MB (10^6 bytes),
	# whether the header says how many or not (-b 8: a training step's
	# 16 images, limited on their own, need about 0.3 MB)
	claim - 1100 > unknown.sym
	cp unknown.sym known.sym
	setcount known.sym 1100
	sym-info -c known.sym
	sym-info -c unknown.sym
	for f in known.sym unknown.sym; do
		run -0 sym-pairs -q --max-memory 1 -n 10 < $f
		run -0 sym-train -q --max-memory 1 -t 1 --arch mlp -e 1 --pairs-per-epoch 64 -b 8 -o m.model < $f
		[ -s m.model ]
		rm m.model
	done
	# 1300 need 1.02 MB
	claim - 1300 > unknown.sym
	cp unknown.sym known.sym
	setcount known.sym 1300
	run -1 --separate-stderr sym-pairs --max-memory 1 < known.sym
	[ "$stderr" = "sym-pairs: stdin: needs 2 MB of memory, the limit is 1 MB (see --max-memory)" ]
	# without a count, the reader can only say the limit was passed
	run -1 --separate-stderr sym-pairs --max-memory 1 < unknown.sym
	[ "$stderr" = "sym-pairs: stdin: needs more memory than the limit of 1 MB (see --max-memory)" ]
	[ -z "$output" ]
	run -1 --separate-stderr sym-train --max-memory 1 -o m.model < unknown.sym
	[ "${stderr/: stdin:/: stdin:}" = "sym-train: stdin: needs more memory than the limit of 1 MB (see --max-memory)" ]
	[ ! -e m.model ]
}

@test "kill: SIGINT while the input is still coming ends the run at once" {
	# the producer holds stdin open for 6 s after its data: the run
	# must not wait for it
	sym-train $OPTS -o m.model < <(cat "$D/small.sym"; sleep 6) 2> err &
	pid=$!
	sleep 1
	t0=$(date +%s%N)
	kill -INT $pid
	status=0
	wait $pid || status=$?
	t1=$(date +%s%N)
	[ "$status" = 1 ]
	[ $(( (t1 - t0) / 1000000 )) -lt 4000 ]	# the input ends 5 s after the signal
	[ "$(cat err)" = "sym-train: interrupted while reading the input; nothing written" ]
	[ "$(ls -A)" = err ]
}

#!/usr/bin/env bats
# The top-level Makefile, on a copy of the sources (one object, built
# without optimisation, keeps it quick): make -q and -n agree with make,
# changed flags rebuild, clean removes the build it is given.
bats_require_minimum_version 1.5.0
load helper

setup() {
	# as a user runs it: not as a sub-make of `make check`, whose
	# variables would make it print its directories and levels
	unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES
	cd "$BATS_TEST_TMPDIR"
	mkdir src
	cp -R "$BATS_TEST_DIRNAME/../Makefile" "$BATS_TEST_DIRNAME/../config.mk" \
	    "$BATS_TEST_DIRNAME/../lib" src/
	cd src
}

@test "build: make -q and -n see an up-to-date build as such; new flags rebuild" {
	make -s BUILD=b CFLAGS=-O0 b/lib/util.o
	run -0 make -q BUILD=b CFLAGS=-O0 b/lib/util.o
	run -0 make -n BUILD=b CFLAGS=-O0 b/lib/util.o
	[ "$output" = "make: 'b/lib/util.o' is up to date." ]
	# other flags: the object is out of date, for make -q too
	run -1 make -q BUILD=b CFLAGS=-O1 b/lib/util.o
	run -0 make -n BUILD=b CFLAGS=-O1 b/lib/util.o
	[[ "$output" == *"-O1 -c -o b/lib/util.o lib/util.c"* ]]
	make -s BUILD=b CFLAGS=-O1 b/lib/util.o
	run -0 make -q BUILD=b CFLAGS=-O1 b/lib/util.o
	# a changed source too
	touch lib/util.c
	run -1 make -q BUILD=b CFLAGS=-O1 b/lib/util.o
}

@test "build: make clean removes the build folder it is given, and the default ones" {
	mkdir -p b build build-san build-fuzz demo bench/out
	touch b/x build/x demo/demo.png bench/out/r.tsv
	run -0 make -s clean BUILD=b
	for d in b build build-san build-fuzz demo bench/out; do
		[ ! -e "$d" ]
	done
	[ -d lib ]
}

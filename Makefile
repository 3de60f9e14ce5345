# symnet: one-shot symbol recognition with Siamese networks.
# make            build lib and every command into build/
# make check      install missing packages, build, run all tests
# make demo       install missing packages, build, run the main job
# make SANITIZE=1 build with ASan+UBSan into build-san/ (make sanitize tests it)
# make bench      install the peers (PyTorch, FAISS), run bench/run.sh
include config.mk

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SAN =
endif

CFLAGS_ALL = $(SYM_CFLAGS) $(SAN) $(CPPFLAGS) $(CFLAGS)
LDLIBS_ALL = $(SAN) $(LDFLAGS) $(SYM_LDLIBS)

LIBSRC = $(sort $(wildcard lib/*.c))
LIBHDR = $(wildcard lib/*.h)
LIBOBJ = $(LIBSRC:lib/%.c=$(BUILD)/lib/%.o)
CMDSRC = $(sort $(wildcard cmd/*.c))
BINS = $(CMDSRC:cmd/%.c=$(BUILD)/bin/%)
UNITSRC = $(sort $(wildcard tests/unit/test_*.c))
UNITS = $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
# helper programs the bats tests use to make fixtures (PNG, IDX, ...)
TOOLSRC = $(sort $(wildcard tests/tools/*.c))
TOOLS = $(TOOLSRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)
MAN7 = $(wildcard man/*.7)

all: $(BUILD)/libsym.a $(BINS) $(UNITS) $(TOOLS)

# The compiler and flags of the last build, in $(BUILD)/flags: written
# when make reads this file, and only when they change, so `make
# CFLAGS=...` rebuilds everything and plain make nothing, and make -n and
# -q see what make would do (a rule run every time made them list the
# whole build). `make install` takes the build's variables too.
BUILD_FLAGS = $(CC) $(CFLAGS_ALL) $(LDLIBS_ALL)
$(shell mkdir -p '$(BUILD)' && { printf '%s\n' '$(BUILD_FLAGS)' | \
	cmp -s - '$(BUILD)/flags' || \
	printf '%s\n' '$(BUILD_FLAGS)' > '$(BUILD)/flags'; })

$(BUILD)/lib/%.o: lib/%.c $(LIBHDR) $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libsym.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

$(BUILD)/bin/%: cmd/%.c $(BUILD)/libsym.a $(LIBHDR) $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ilib -o $@ $< $(BUILD)/libsym.a $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libsym.a $(LIBHDR) $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ilib -o $@ $< $(BUILD)/libsym.a $(LDLIBS_ALL)

$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libsym.a $(LIBHDR) $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ilib -o $@ $< $(BUILD)/libsym.a $(LDLIBS_ALL)

deps:
	sh .ci/install-deps

deps-check:
	sh .ci/install-deps check

# Unit tests, man-page lint, then the bats suite, against $(BUILD)/bin.
test: all
	@set -e; for t in $(UNITS); do echo "unit: $$t"; $$t; done
	@for m in man/*; do mandoc -Tlint -Wwarning $$m || exit 1; done; echo "mandoc: man pages clean"
	SYM_BIN=$(CURDIR)/$(BUILD)/bin SYM_TOOLS=$(CURDIR)/$(BUILD)/tests/tools bats tests

check: deps-check
	$(MAKE) test

sanitize:
	$(MAKE) SANITIZE=1 test

# the benchmark against its peers (bench/README.md; several minutes, on
# an otherwise idle machine): installs them, builds, runs
bench:
	sh .ci/install-deps bench
	$(MAKE) all
	sh bench/run.sh $(BUILD)

# the packages first, then the build (in this order under make -j too)
demo: deps
	$(MAKE) all
	sh examples/demo.sh $(BUILD)/bin

# the programs and pages only (not the tests), with their own modes
install: $(BINS)
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
		$(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(MAN1) $(DESTDIR)$(MANPREFIX)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANPREFIX)/man5/
	install -m 644 $(MAN7) $(DESTDIR)$(MANPREFIX)/man7/

uninstall:
	for b in $(BINS); do rm -f $(DESTDIR)$(PREFIX)/bin/$${b##*/}; done
	for m in $(MAN1) $(MAN5) $(MAN7); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANPREFIX)/man$$s/$${m##*/}; done

# every build folder (a BUILD=dir one too) and what make demo and make
# bench write
clean:
	rm -rf build build-san build-fuzz $(BUILD) demo bench/out

.PHONY: all deps deps-check test check sanitize bench demo install uninstall clean

# ---- fuzzing: libFuzzer harnesses of tests/fuzz/, built with clang ----
# make fuzz                   harnesses and seed corpus into build-fuzz/
# make fuzz-run [FUZZ_SECONDS=30] [FUZZ_SEED=1]  run each harness that
#                             long on its corpus; fails on the first crash
#                             (the input lands in build-fuzz/crashes/).
#                             A fixed seed makes CI explore the same inputs
#                             each run (a red stage is a bug in the change,
#                             not a lucky draw); FUZZ_SEED=0 draws a new
#                             seed, for longer runs that look further.
# Debian needs clang and libclang-rt-14-dev (the libFuzzer runtime).
FUZZ_CC = clang
FUZZ_DIR = build-fuzz
FUZZ_SECONDS = 30
FUZZ_SEED = 1
FUZZ_TARGETS = stream idx png model arch
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = $(SYM_CFLAGS) $(FUZZ_SAN) $(CFLAGS)
FUZZ_LIBOBJ = $(LIBSRC:lib/%.c=$(FUZZ_DIR)/lib/%.o)
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

fuzz: $(FUZZ_BINS) $(FUZZ_DIR)/corpus/.stamp

$(FUZZ_DIR)/lib/%.o: lib/%.c $(LIBHDR) config.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/libsym.a: $(FUZZ_LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_LIBOBJ)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
    $(FUZZ_DIR)/libsym.a $(LIBHDR) config.mk
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ilib -o $@ $< \
		$(FUZZ_DIR)/libsym.a $(FUZZ_SAN) $(LDFLAGS) $(SYM_LDLIBS)

$(FUZZ_DIR)/mkcorpus: tests/fuzz/mkcorpus.c $(FUZZ_DIR)/libsym.a \
    $(LIBHDR) config.mk
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Ilib -o $@ $< \
		$(FUZZ_DIR)/libsym.a $(FUZZ_SAN) $(LDFLAGS) $(SYM_LDLIBS)

$(FUZZ_DIR)/corpus/.stamp: $(FUZZ_DIR)/mkcorpus
	$(FUZZ_DIR)/mkcorpus $(FUZZ_DIR)/corpus
	touch $@

fuzz-run: fuzz
	@mkdir -p $(FUZZ_DIR)/crashes
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		d=; test -f tests/fuzz/$$t.dict && d=-dict=tests/fuzz/$$t.dict; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-seed=$(FUZZ_SEED) -timeout=20 -rss_limit_mb=2048 \
			-print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/crashes/$$t- $$d \
			$(FUZZ_DIR)/corpus/$$t; \
	done

fuzz-clean:
	rm -rf $(FUZZ_DIR)

.PHONY: fuzz fuzz-run fuzz-clean

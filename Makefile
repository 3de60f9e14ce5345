# symnet: one-shot symbol recognition with Siamese networks.
# make            build lib and every command into build/
# make check      install missing packages, build, run all tests
# make demo       install missing packages, build, run the main job
# make SANITIZE=1 build with ASan+UBSan into build-san/ (make sanitize tests it)
include config.mk

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SAN =
endif

CFLAGS_ALL = $(SYM_CFLAGS) $(SAN) $(CFLAGS)
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

$(BUILD)/lib/%.o: lib/%.c $(LIBHDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libsym.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

$(BUILD)/bin/%: cmd/%.c $(BUILD)/libsym.a $(LIBHDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ilib -o $@ $< $(BUILD)/libsym.a $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libsym.a $(LIBHDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ilib -o $@ $< $(BUILD)/libsym.a $(LDLIBS_ALL)

$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libsym.a $(LIBHDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ilib -o $@ $< $(BUILD)/libsym.a $(LDLIBS_ALL)

deps:
	sh .ci/install-deps

# Unit tests, man-page lint, then the bats suite, against $(BUILD)/bin.
test: all
	@set -e; for t in $(UNITS); do echo "unit: $$t"; $$t; done
	@for m in man/*; do mandoc -Tlint -Wwarning $$m || exit 1; done; echo "mandoc: man pages clean"
	SYM_BIN=$(CURDIR)/$(BUILD)/bin SYM_TOOLS=$(CURDIR)/$(BUILD)/tests/tools bats tests

check: deps
	$(MAKE) test

sanitize:
	$(MAKE) SANITIZE=1 test

demo: deps all
	sh examples/demo.sh $(BUILD)/bin

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
		$(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7
	cp -f $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp -f $(MAN1) $(DESTDIR)$(MANPREFIX)/man1/
	cp -f $(MAN5) $(DESTDIR)$(MANPREFIX)/man5/
	cp -f $(MAN7) $(DESTDIR)$(MANPREFIX)/man7/

uninstall:
	for b in $(BINS); do rm -f $(DESTDIR)$(PREFIX)/bin/$${b##*/}; done
	for m in $(MAN1) $(MAN5) $(MAN7); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANPREFIX)/man$$s/$${m##*/}; done

clean:
	rm -rf build build-san

.PHONY: all deps test check sanitize demo install uninstall clean

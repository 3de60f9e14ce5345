# symnet version and install paths; edit to taste.
VERSION = 0.1.0

PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man

CC ?= cc
PKG_CONFIG ?= pkg-config

# Our flags first, the user's CFLAGS/LDFLAGS last so they win.
SYM_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-O2 -g -DSYM_VERSION=\"$(VERSION)\" \
	$$($(PKG_CONFIG) --cflags libpng openblas zlib)
SYM_LDLIBS = $$($(PKG_CONFIG) --libs libpng openblas zlib) -lm -lpthread

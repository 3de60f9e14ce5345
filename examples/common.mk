# common.mk: what every example's Makefile shares. Before including it,
# an example sets EXAMPLE (its name, for messages), BIN, OUT and SETTINGS
# (the make variables its outputs depend on, as text). Its default goal
# stays `all`.
.DEFAULT_GOAL := all

# The sym-* programs: built with the project (and the Debian packages
# installed) when BIN is the project's own build; another BIN must hold
# them already. A grouped target: one build, also under make -j.
SYM_PROGRAMS = $(BIN)/sym-load $(BIN)/sym-pairs $(BIN)/sym-train \
	$(BIN)/sym-embed $(BIN)/sym-match $(BIN)/sym-info $(BIN)/sym-show
$(SYM_PROGRAMS) &:
	@if [ "$(abspath $(BIN))" = "$(abspath ../../build/bin)" ]; then \
	    $(MAKE) -C ../.. deps all; \
	else \
	    echo "$(EXAMPLE): no sym-* programs in BIN=$(BIN) (build" \
	        "symnet there, or leave BIN unset to use ../../build/bin)" >&2; \
	    exit 1; \
	fi

# $(SETTINGS) as a file, rewritten only when the text changes: outputs
# that depend on it are remade after `make SEED=2` and the like, and
# only then.
settings = $(OUT)/settings
$(settings): FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '$(SETTINGS)' | cmp -s - $@ || \
	    printf '%s\n' '$(SETTINGS)' > $@
FORCE:

.PHONY: FORCE

# common.mk: what every example's Makefile shares. Before including it,
# an example sets EXAMPLE (its name, for messages), BIN, OUT, STAGES
# (names of its steps) and for each stage S the text SETTINGS_S (the make
# variables that shape that step's outputs). Its default goal stays
# `all`.
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

# DATA_FILES in DATA_DIR, named as distributed (a .gz is also found
# unpacked, as sym-load reads either): stop before any work when one is
# missing, saying what to do (DATA_HINT), unless the goals only clean or
# download.
ifneq ($(DATA_FILES),)
ifneq ($(filter-out clean distclean download,$(or $(MAKECMDGOALS),all)),)
missing_data := $(firstword $(foreach f,$(DATA_FILES),$(if $(wildcard \
	$(DATA_DIR)/$(f) $(DATA_DIR)/$(f:.gz=)),,$(f))))
$(if $(missing_data),$(error $(EXAMPLE): $(DATA_DIR)/$(missing_data) is \
	missing: $(DATA_HINT)))
endif
endif

# Each stage's settings as the file $(OUT)/S.settings, written when make
# reads this file and only when its text changes: a step that depends on
# it is remade after `make SEED=2` and the like, and only the steps that
# setting shapes (make -n and -q see the same; they write the files too,
# so `make -n SEED=2` then `make` remakes what SEED shapes).
settings = $(OUT)/$(1).settings
$(foreach s,$(STAGES),$(shell mkdir -p '$(OUT)' && \
	{ printf '%s\n' '$(SETTINGS_$(s))' | cmp -s - '$(OUT)/$(s).settings' || \
	printf '%s\n' '$(SETTINGS_$(s))' > '$(OUT)/$(s).settings'; }))

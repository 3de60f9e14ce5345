# helper.bash: loaded by every .bats file. Puts the fresh build (or an
# installed copy named by SYM_BIN) first in PATH, and the fixture tools
# in SYM_TOOLS.
: "${SYM_BIN:=$BATS_TEST_DIRNAME/../build/bin}"
: "${SYM_TOOLS:=$BATS_TEST_DIRNAME/../build/tests/tools}"
export PATH="$SYM_BIN:$SYM_TOOLS:$PATH"
export SYM_TOOLS
FASHION=/usr/share/datasets/fashion-mnist

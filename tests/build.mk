# tests/build.mk - unit test binaries and `make check`.
#
# Each tests/unit/test_NAME.c is a standalone program that prints TAP and
# links the core built with test hooks.

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/test/unit/%)

$(BUILD)/test/unit/%: tests/unit/%.c tests/unit/tap.h $(CORE_TEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -DCOS_TEST_HOOKS -Itests/unit \
		$(EXE_LDFLAGS) -o $@ $< $(CORE_TEST_LIB) $(PKG_LIBS)

# `make check` works on a fresh machine: it installs missing packages
# first, then builds in a new make, whose pkg-config flags see them.
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory check-run

check-run: all $(UNIT_BINS)
	@COS_BUILD="$(abspath $(BUILD))" SANITIZE="$(SANITIZE)" bash tests/run $(TESTS)

.PHONY: check-run

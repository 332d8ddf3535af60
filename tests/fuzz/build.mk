# tests/fuzz/build.mk - libFuzzer targets and `make fuzz`.
#
#   make fuzz                   run each target for FUZZ_SECONDS (default 10)
#   make fuzz FUZZ_SECONDS=60   what CI runs
#
# The targets are built with clang into $(BUILD)/fuzz/, with the core
# compiled again for coverage and with AddressSanitizer and
# UndefinedBehaviorSanitizer.  tests/fuzz/run copies the seed corpus from
# tests/fuzz/corpus/TARGET/ to a temporary directory, so the checkout is
# never modified, and keeps crash inputs in $(BUILD)/fuzz/crashes/.
#
# The same target sources are also linked with tests/fuzz/replay.c and the
# ordinary test core into $(BUILD)/test/fuzz/replay_TARGET, which `make
# check` builds and tests/hostile.bats runs over the corpus.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 10
FUZZ_TARGETS := ini sts unseal quote

FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -g -O1 $(WARNFLAGS) $(FUZZ_SAN) -fPIC \
	$(PKG_CFLAGS) -Icore
FUZZ_CORE_OBJS := $(CORE_SRCS:core/%.c=$(BUILD)/fuzz/core/%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(BUILD)/test/fuzz/replay_%)

# Keep the objects between runs; make would delete them as intermediates.
.SECONDARY: $(FUZZ_CORE_OBJS)

$(BUILD)/fuzz/core/%.o: core/%.c core/*.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE_OBJS) core/*.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_CORE_OBJS) $(PKG_LIBS)

$(BUILD)/test/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
		$(CORE_TEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -DCOS_TEST_HOOKS $(EXE_LDFLAGS) -o $@ \
		$< tests/fuzz/replay.c $(CORE_TEST_LIB) $(PKG_LIBS)

check-run: $(FUZZ_REPLAY_BINS)

fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run "$(BUILD)/fuzz" "$(FUZZ_SECONDS)" $(FUZZ_TARGETS)

# bench/build.mk - `make bench`: builds cos with optimisation into its own
# directory, then measures it against the local STS emulator and writes
# bench/RESULTS.md and bench/ratios.svg.  Not part of `make check`.
#
#   make bench                          every measurement, about 3 minutes
#   make bench BENCH_RSS_CALLS=1000     fewer repetitions of one of them
#
# bench/bench.py lists the BENCH_* counts.  make exports variables given
# on its command line to the script, as it does those of the environment.

BENCH_BUILD ?= build-bench
BENCH_OPTFLAGS ?= -O2 -DNDEBUG

BENCH_TARGETS := $(BENCH_BUILD)/cos $(BENCH_BUILD)/cos_token.so \
	$(BENCH_BUILD)/zsh/cos/token.so

# Installs what is missing first (GNU time and strace among it), as
# `make demo` does.
bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory BUILD=$(BENCH_BUILD) \
		OPTFLAGS="$(BENCH_OPTFLAGS)" $(BENCH_TARGETS)
	@BENCH_OPTFLAGS="$(BENCH_OPTFLAGS)" bash bench/run.sh $(BENCH_BUILD)

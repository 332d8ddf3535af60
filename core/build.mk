# core/build.mk - the core library, as a static archive of position-
# independent objects (the shell plugins link it into bash and zsh).

CORE_SRCS := $(wildcard core/*.c)
CORE_OBJS := $(CORE_SRCS:core/%.c=$(BUILD)/core/%.o)
CORE_LIB  := $(BUILD)/libcos.a

# The same sources with test hooks (COS_TEST_NOW and the like) compiled in,
# for unit tests and the test-only binary.  Release objects never honour them.
CORE_TEST_OBJS := $(CORE_SRCS:core/%.c=$(BUILD)/core-test/%.o)
CORE_TEST_LIB  := $(BUILD)/libcos-test.a

ALL_TARGETS += $(CORE_LIB)

$(BUILD)/core/%.o: core/%.c core/*.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/core-test/%.o: core/%.c core/*.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -DCOS_TEST_HOOKS -c -o $@ $<

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(CORE_TEST_LIB): $(CORE_TEST_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# cli/build.mk - the `cos` command.

CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(CLI_SRCS:cli/%.c=$(BUILD)/cli/%.o)
CLI_TEST_OBJS := $(CLI_SRCS:cli/%.c=$(BUILD)/cli-test/%.o)

ALL_TARGETS += $(BUILD)/cos $(BUILD)/test/cos

$(BUILD)/cli/%.o: cli/%.c cli/*.h core/*.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Icli -c -o $@ $<

$(BUILD)/cli-test/%.o: cli/%.c cli/*.h core/*.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -DCOS_TEST_HOOKS -Icli -c -o $@ $<

$(BUILD)/cos: $(CLI_OBJS) $(CORE_LIB)
	$(CC) $(EXE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# A build with test hooks, used only by the tests that need them.
$(BUILD)/test/cos: $(CLI_TEST_OBJS) $(CORE_TEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

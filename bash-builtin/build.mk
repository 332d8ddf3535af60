# bash-builtin/build.mk - the `cos_token` bash loadable builtin,
# $(BUILD)/cos_token.so, linked with the core's position-independent objects.
#
# The headers come from Debian's bash-builtins package (`make deps`).  Its
# bash.pc lacks -DHAVE_CONFIG_H and the directory of loadables.h, so both
# are added here.  The bash headers are included as system headers so that
# our warning flags (and -Werror in CI) apply to our code only.

BASH_LOADABLES_DIR := $(shell $(PKG_CONFIG) --variable=loadablesdir bash 2>/dev/null)
BASH_PC_CFLAGS := $(shell $(PKG_CONFIG) --cflags bash 2>/dev/null)
BASH_CPPFLAGS := -DHAVE_CONFIG_H -DSHELL \
	$(patsubst -I%,-isystem %,$(filter -I%,$(BASH_PC_CFLAGS))) \
	$(filter-out -I%,$(BASH_PC_CFLAGS)) \
	$(if $(BASH_LOADABLES_DIR),-isystem $(BASH_LOADABLES_DIR))

BASH_BUILTIN_SRCS := $(wildcard bash-builtin/*.c)
BASH_BUILTIN_OBJS := $(BASH_BUILTIN_SRCS:bash-builtin/%.c=$(BUILD)/bash-builtin/%.o)
BASH_BUILTIN_SO := $(BUILD)/cos_token.so

ALL_TARGETS += $(BASH_BUILTIN_SO)
INSTALL_TARGETS += install-bash-builtin

$(BUILD)/bash-builtin/%.o: bash-builtin/%.c bash-builtin/*.h core/*.h
	@if [ ! -f "$(BASH_LOADABLES_DIR)/loadables.h" ]; then \
		echo "bash-builtin: loadables.h not found; install Debian's" \
		    "bash-builtins package (make deps)" >&2; exit 1; fi
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(BASH_CPPFLAGS) -c -o $@ $<

# -z now (in SO_LDFLAGS) makes a bash symbol missing from the running bash
# fail `enable -f` cleanly, where lazy binding would kill the shell at the
# first call.  -fvisibility=hidden leaves only cos_token_struct and the two
# hooks exported, so no name of ours can clash with one of bash's.
$(BASH_BUILTIN_SO): $(BASH_BUILTIN_OBJS) $(CORE_OBJS)
	$(CC) $(SO_LDFLAGS) $(SANFLAGS) $(LDFLAGS) -Wl,-soname,cos_token.so \
		-o $@ $^ $(PKG_LIBS)

# bash 5.2 looks a bare `enable -f NAME` up in BASH_LOADABLES_PATH (which
# includes $(PREFIX)/lib/bash for /usr/local and /usr) without adding
# ".so", so install the file under both names: `enable -f cos_token
# cos_token` and `enable -f cos_token.so cos_token` then both work.
.PHONY: install-bash-builtin
install-bash-builtin: $(BASH_BUILTIN_SO)
	install -d $(DESTDIR)$(PREFIX)/lib/bash
	install -m 0644 $(BASH_BUILTIN_SO) $(DESTDIR)$(PREFIX)/lib/bash/cos_token.so
	ln -sf cos_token.so $(DESTDIR)$(PREFIX)/lib/bash/cos_token

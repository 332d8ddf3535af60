# zsh-module/build.mk - the zsh module cos/token, built out of zsh's source
# tree from Debian's zsh-dev headers (which also need libcap-dev).
#
#   $(BUILD)/zsh/cos/token.so   load with: module_path+=($(BUILD)/zsh);
#                               zmodload cos/token
#
# The module's binary interface follows the zsh version: the module records
# the version in <zsh/version.h> and fails to load into any other zsh.
#
# make install puts it in $(DESTDIR)$(ZSH_MODULE_DIR)/cos/token.so.  With
# PREFIX=/usr that is the installed zsh's own module directory (the first
# element of its $module_path), else $(PREFIX)/lib/zsh/VERSION, which the
# user adds to module_path.  Set ZSH_MODULE_DIR to choose another place.

ZSH ?= zsh

ZSH_MODULE_SRCS := $(wildcard zsh-module/*.c)
ZSH_MODULE := $(BUILD)/zsh/cos/token.so
# A copy that claims to be built for another zsh, for the version check test.
ZSH_MODULE_FAKE_ABI := $(BUILD)/test/zsh-fake-abi/cos/token.so
ZSH_MODULE_CPPFLAGS := -DMODULE -DZSH_OOT_MODULE -Izsh-module

ALL_TARGETS += $(ZSH_MODULE) $(ZSH_MODULE_FAKE_ABI)

$(ZSH_MODULE): $(ZSH_MODULE_SRCS) zsh-module/*.h core/*.h $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ZSH_MODULE_CPPFLAGS) $(SO_LDFLAGS) \
		$(LDFLAGS) -o $@ $(ZSH_MODULE_SRCS) $(CORE_OBJS) $(PKG_LIBS)

$(ZSH_MODULE_FAKE_ABI): $(ZSH_MODULE_SRCS) zsh-module/*.h core/*.h $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ZSH_MODULE_CPPFLAGS) \
		-DCOS_ZSH_TEST_BUILT_FOR='"0.0-test"' $(SO_LDFLAGS) \
		$(LDFLAGS) -o $@ $(ZSH_MODULE_SRCS) $(CORE_OBJS) $(PKG_LIBS)

# Recursive (=) so that zsh runs only when install needs the value.
ifeq ($(PREFIX),/usr)
ZSH_MODULE_DIR ?= $(shell $(ZSH) -fc 'print -r -- $$module_path[1]' 2>/dev/null)
else
ZSH_MODULE_DIR ?= $(PREFIX)/lib/zsh/$(shell $(ZSH) -fc 'print -r -- $$ZSH_VERSION' 2>/dev/null)
endif

INSTALL_TARGETS += install-zsh-module
.PHONY: install-zsh-module
install-zsh-module: $(ZSH_MODULE)
	@dir='$(ZSH_MODULE_DIR)'; case $$dir in ''|*/lib/zsh/) \
		echo "cannot find zsh's module directory; set ZSH_MODULE_DIR" >&2; \
		exit 1;; esac
	install -d $(DESTDIR)$(ZSH_MODULE_DIR)/cos
	install -m 0755 $(ZSH_MODULE) $(DESTDIR)$(ZSH_MODULE_DIR)/cos/token.so

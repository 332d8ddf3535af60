# docs/build.mk - installs the man pages cos(1) and cos_token(1).
#
# `man cos` finds them under $(PREFIX)/share/man for PREFIX=/usr and
# /usr/local, which man-db searches by default.

MAN1_DIR ?= $(PREFIX)/share/man/man1
MAN1_PAGES := docs/cos.1 docs/cos_token.1

INSTALL_TARGETS += install-man
.PHONY: install-man
install-man:
	install -d $(DESTDIR)$(MAN1_DIR)
	install -m 0644 $(MAN1_PAGES) $(DESTDIR)$(MAN1_DIR)/

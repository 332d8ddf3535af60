# completions/build.mk - installs the bash, zsh and fish completions of cos
# and the cos_token builtin where each shell looks for them.
#
#   bash  $(BASH_COMPLETION_DIR)/cos and cos_token (bash-completion loads a
#         completion by command name; cos_token is a link to cos)
#   zsh   $(ZSH_SITE_FUNCTIONS_DIR)/_cos (#compdef cos cos_token)
#   fish  $(FISH_COMPLETION_DIR)/cos.fish and cos_token.fish (a link)
#
# bash-completion and zsh search $(PREFIX)/share for PREFIX=/usr and
# /usr/local.  fish searches /usr/local/share/fish/vendor_completions.d
# only when XDG_DATA_DIRS contains /usr/local/share.

BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_SITE_FUNCTIONS_DIR ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETION_DIR ?= $(PREFIX)/share/fish/vendor_completions.d

INSTALL_TARGETS += install-completions
.PHONY: install-completions
install-completions:
	install -d $(DESTDIR)$(BASH_COMPLETION_DIR) \
		$(DESTDIR)$(ZSH_SITE_FUNCTIONS_DIR) $(DESTDIR)$(FISH_COMPLETION_DIR)
	install -m 0644 completions/cos.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/cos
	ln -sf cos $(DESTDIR)$(BASH_COMPLETION_DIR)/cos_token
	install -m 0644 completions/_cos $(DESTDIR)$(ZSH_SITE_FUNCTIONS_DIR)/_cos
	install -m 0644 completions/cos.fish \
		$(DESTDIR)$(FISH_COMPLETION_DIR)/cos.fish
	ln -sf cos.fish $(DESTDIR)$(FISH_COMPLETION_DIR)/cos_token.fish

# make                 builds the one executable, daemontools-rs (cargo build
#                      --release), and links every program's name to it in
#                      BUILD, so that PATH=$PWD/target/release runs them
# make install         puts daemontools-rs under PREFIX (default /usr/local),
#                      below DESTDIR, with every program's name a symbolic
#                      link to it beside it, their man pages, update-service
#                      and the systemd unit
# make uninstall       removes exactly what install put there: the links
#                      that are still links to daemontools-rs, and the
#                      directories it made (listed, at install, in
#                      PREFIX/share/daemontools-rs/made-directories)
# BUILD names the directory daemontools-rs is taken from (target/release).
#
# Symbolic links rather than hard links: they cost the same (no start-up
# difference measured, a few bytes each), the Debian package can ship them
# (cargo-deb makes no hard link), and a copy (cp -a, COPY, rsync) or an
# upgrade of the one file keeps every name pointing at it.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BUILD ?= target/release

PROGRAMS = envdir envuidgid fghack mksv multilog pgrphack readproctitle setlock \
	setuidgid softlimit supervise svc svlog svlogfwd svok svscan svscanboot svscanctl svstat tai64n tai64nlocal
MULTICALL = daemontools-rs
UNIT = daemontools-rs.service
STATE = $(PREFIX)/share/daemontools-rs
DIRS = $(BINDIR) $(SBINDIR) $(MANDIR)/man8 $(MANDIR)/man7 $(UNITDIR) $(STATE)

all:
	cargo build --release
	for p in $(PROGRAMS); do ln -sfn $(MULTICALL) "$(BUILD)/$$p" || exit 1; done

install:
	@[ -f "$(BUILD)/$(MULTICALL)" ] && [ -x "$(BUILD)/$(MULTICALL)" ] || { echo "make: fatal: $(BUILD)/$(MULTICALL) is not built: run make first" >&2; exit 111; }
	@made=; for d in $(DIRS); do \
	  while [ "$$d" != / ] && [ ! -d "$(DESTDIR)$$d" ]; do \
	    case " $$made " in *" $$d "*) ;; *) made="$$made $$d" ;; esac; d=$$(dirname "$$d"); \
	  done; \
	done; \
	for d in $(DIRS); do install -d "$(DESTDIR)$$d" || exit 1; done; \
	printf '%s\n' $$made | sed '/^$$/d' | sort -r >> "$(DESTDIR)$(STATE)/made-directories"
	install -m 755 "$(BUILD)/$(MULTICALL)" "$(DESTDIR)$(BINDIR)/$(MULTICALL)"
	for p in $(PROGRAMS); do ln -sfn $(MULTICALL) "$(DESTDIR)$(BINDIR)/$$p" && install -m 644 "man/$$p.8" "$(DESTDIR)$(MANDIR)/man8/$$p.8" || exit 1; done
	install -m 644 man/daemontools-rs.7 "$(DESTDIR)$(MANDIR)/man7/daemontools-rs.7"
	sed 's|^bindir=/usr/bin$$|bindir=$(BINDIR)|' init/update-service > "$(DESTDIR)$(SBINDIR)/update-service"
	chmod 755 "$(DESTDIR)$(SBINDIR)/update-service"
	install -m 644 man/update-service.8 "$(DESTDIR)$(MANDIR)/man8/update-service.8"
	sed 's|=/usr/bin/svscanboot |=$(BINDIR)/svscanboot |' init/$(UNIT) > "$(DESTDIR)$(UNITDIR)/$(UNIT)"
	chmod 644 "$(DESTDIR)$(UNITDIR)/$(UNIT)"

uninstall:
	for p in $(PROGRAMS); do \
	  [ "$$(readlink "$(DESTDIR)$(BINDIR)/$$p")" != $(MULTICALL) ] || rm -f "$(DESTDIR)$(BINDIR)/$$p"; \
	  rm -f "$(DESTDIR)$(MANDIR)/man8/$$p.8"; \
	done
	rm -f "$(DESTDIR)$(BINDIR)/$(MULTICALL)"
	rm -f "$(DESTDIR)$(MANDIR)/man7/daemontools-rs.7" "$(DESTDIR)$(UNITDIR)/$(UNIT)"
	rm -f "$(DESTDIR)$(SBINDIR)/update-service" "$(DESTDIR)$(MANDIR)/man8/update-service.8"
	@list="$(DESTDIR)$(STATE)/made-directories"; if [ -f "$$list" ]; then \
	  made=$$(sort -ru "$$list"); rm -f "$$list"; \
	  for d in $$made; do rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done; \
	fi

.PHONY: all install uninstall

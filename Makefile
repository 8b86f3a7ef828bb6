# make                 builds every program (cargo build --release)
# make install         puts the programs, their man pages, update-service and
#                      the systemd unit under PREFIX (default /usr/local),
#                      below DESTDIR
# make uninstall       removes exactly what install put there, the
#                      directories it made included (listed, at install,
#                      in PREFIX/share/daemontools-rs/made-directories)
# BUILD names the directory the programs are taken from (target/release).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BUILD ?= target/release

PROGRAMS = envdir envuidgid fghack mksv multilog pgrphack readproctitle setlock \
	setuidgid softlimit supervise svc svlog svlogfwd svok svscan svscanboot svscanctl svstat tai64n tai64nlocal
UNIT = daemontools-rs.service
STATE = $(PREFIX)/share/daemontools-rs
DIRS = $(BINDIR) $(SBINDIR) $(MANDIR)/man8 $(MANDIR)/man7 $(UNITDIR) $(STATE)

all:
	cargo build --release --workspace

install:
	@for p in $(PROGRAMS); do [ -x "$(BUILD)/$$p" ] || { echo "make: fatal: $(BUILD)/$$p is not built: run make first" >&2; exit 111; }; done
	@made=; for d in $(DIRS); do \
	  while [ "$$d" != / ] && [ ! -d "$(DESTDIR)$$d" ]; do \
	    case " $$made " in *" $$d "*) ;; *) made="$$made $$d" ;; esac; d=$$(dirname "$$d"); \
	  done; \
	done; \
	for d in $(DIRS); do install -d "$(DESTDIR)$$d" || exit 1; done; \
	printf '%s\n' $$made | sed '/^$$/d' | sort -r >> "$(DESTDIR)$(STATE)/made-directories"
	for p in $(PROGRAMS); do install -m 755 "$(BUILD)/$$p" "$(DESTDIR)$(BINDIR)/$$p" && install -m 644 "man/$$p.8" "$(DESTDIR)$(MANDIR)/man8/$$p.8" || exit 1; done
	install -m 644 man/daemontools-rs.7 "$(DESTDIR)$(MANDIR)/man7/daemontools-rs.7"
	sed 's|^bindir=/usr/bin$$|bindir=$(BINDIR)|' init/update-service > "$(DESTDIR)$(SBINDIR)/update-service"
	chmod 755 "$(DESTDIR)$(SBINDIR)/update-service"
	install -m 644 man/update-service.8 "$(DESTDIR)$(MANDIR)/man8/update-service.8"
	sed 's|=/usr/bin/svscanboot |=$(BINDIR)/svscanboot |' init/$(UNIT) > "$(DESTDIR)$(UNITDIR)/$(UNIT)"
	chmod 644 "$(DESTDIR)$(UNITDIR)/$(UNIT)"

uninstall:
	for p in $(PROGRAMS); do rm -f "$(DESTDIR)$(BINDIR)/$$p" "$(DESTDIR)$(MANDIR)/man8/$$p.8"; done
	rm -f "$(DESTDIR)$(MANDIR)/man7/daemontools-rs.7" "$(DESTDIR)$(UNITDIR)/$(UNIT)"
	rm -f "$(DESTDIR)$(SBINDIR)/update-service" "$(DESTDIR)$(MANDIR)/man8/update-service.8"
	@list="$(DESTDIR)$(STATE)/made-directories"; if [ -f "$$list" ]; then \
	  made=$$(sort -ru "$$list"); rm -f "$$list"; \
	  for d in $$made; do rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done; \
	fi

.PHONY: all install uninstall

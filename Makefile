# make                 builds every program (cargo build --release)
# make install         puts the programs, their man pages and the systemd
#                      unit under PREFIX (default /usr/local), below DESTDIR
# make uninstall       removes exactly what install put there
# BUILD names the directory the programs are taken from (target/release).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BUILD ?= target/release

PROGRAMS = envdir envuidgid fghack multilog pgrphack readproctitle setlock \
	setuidgid softlimit supervise svc svok svscan svscanboot svstat tai64n tai64nlocal
UNIT = daemontools-rs.service

all:
	cargo build --release --workspace

install:
	@for p in $(PROGRAMS); do [ -x "$(BUILD)/$$p" ] || { echo "make: fatal: $(BUILD)/$$p is not built: run make first" >&2; exit 111; }; done
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man8" "$(DESTDIR)$(MANDIR)/man7" "$(DESTDIR)$(UNITDIR)"
	for p in $(PROGRAMS); do install -m 755 "$(BUILD)/$$p" "$(DESTDIR)$(BINDIR)/$$p" && install -m 644 "man/$$p.8" "$(DESTDIR)$(MANDIR)/man8/$$p.8" || exit 1; done
	install -m 644 man/daemontools-rs.7 "$(DESTDIR)$(MANDIR)/man7/daemontools-rs.7"
	sed 's|=/usr/bin/svscanboot |=$(BINDIR)/svscanboot |' init/$(UNIT) > "$(DESTDIR)$(UNITDIR)/$(UNIT)"
	chmod 644 "$(DESTDIR)$(UNITDIR)/$(UNIT)"

uninstall:
	for p in $(PROGRAMS); do rm -f "$(DESTDIR)$(BINDIR)/$$p" "$(DESTDIR)$(MANDIR)/man8/$$p.8"; done
	rm -f "$(DESTDIR)$(MANDIR)/man7/daemontools-rs.7" "$(DESTDIR)$(UNITDIR)/$(UNIT)"

.PHONY: all install uninstall

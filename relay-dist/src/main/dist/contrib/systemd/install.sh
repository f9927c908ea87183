#!/bin/sh
# contrib/systemd/install.sh: installs this unpacked relay as a systemd service (see relay.service
# for the steps it takes). Run as root; running it again changes nothing that exists.
#   contrib/systemd/install.sh
# Environment (for tests and packagers): PREFIX (a root to install under, default /), RELAY_USER
# (default relay).
set -eu
PREFIX=${PREFIX:-}
RELAY_USER=${RELAY_USER:-relay}
HOME_DIR=$(cd "$(dirname "$0")/../.." && pwd -P)
[ -x "$HOME_DIR/bin/relay" ] || { echo "install.sh: $HOME_DIR/bin/relay not found (run it from the unpacked archive)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "install.sh: run it as root" >&2; exit 1; }
RELAY_HOME=$HOME_DIR
[ -e /opt/relay ] && [ "$(cd /opt/relay && pwd -P)" = "$HOME_DIR" ] && RELAY_HOME=/opt/relay

if ! id "$RELAY_USER" >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/relay --shell /usr/sbin/nologin "$RELAY_USER"
  echo "install.sh: created the user $RELAY_USER"
fi
GROUP=$(id -gn "$RELAY_USER")
ETC=$PREFIX/etc/relay
DATA=$PREFIX/var/lib/relay

install -d -o root -g "$GROUP" -m 0750 "$ETC"
[ -e "$ETC/routes" ] || install -o root -g "$GROUP" -m 0640 "$HOME_DIR/conf/routes" "$ETC/routes"
if [ ! -e "$ETC/relay.conf" ]; then
  { cat "$HOME_DIR/conf/relay.conf"
    printf '\n# ---- this installation (contrib/systemd/install.sh) ----\n'
    printf 'data_directory = %s\nroutes_file = %s\n' "$DATA" "$ETC/routes"
  } > "$ETC/relay.conf.new"
  chown "root:$GROUP" "$ETC/relay.conf.new" && chmod 0640 "$ETC/relay.conf.new" && mv "$ETC/relay.conf.new" "$ETC/relay.conf"
  echo "install.sh: wrote $ETC/relay.conf (edit it: listen, hostname, local_domains, ...)"
fi
install -d -o "$RELAY_USER" -g "$GROUP" -m 0700 "$DATA"

install -d -m 0755 "$PREFIX/usr/local/sbin"
sed -e "s|@RELAY_HOME@|$RELAY_HOME|g" -e "s|@RELAY_CONF@|$ETC/relay.conf|g" -e "s|@RELAY_USER@|$RELAY_USER|g" \
  "$HOME_DIR/contrib/systemd/relayctl" > "$PREFIX/usr/local/sbin/relayctl"
chmod 0755 "$PREFIX/usr/local/sbin/relayctl"

# man relay, man relayctl, man relay.conf; relayctl's bash completion
install -d -m 0755 "$PREFIX/usr/local/share/man/man5" "$PREFIX/usr/local/share/man/man8" "$PREFIX/etc/bash_completion.d"
install -m 0644 "$HOME_DIR"/man/*.8 "$PREFIX/usr/local/share/man/man8/"
install -m 0644 "$HOME_DIR"/man/*.5 "$PREFIX/usr/local/share/man/man5/"
install -m 0644 "$HOME_DIR/completion/relayctl" "$PREFIX/etc/bash_completion.d/relayctl"

install -d -m 0755 "$PREFIX/etc/systemd/system"
sed -e "s|/opt/relay|$RELAY_HOME|g" -e "s|^User=relay|User=$RELAY_USER|" -e "s|^Group=relay|Group=$GROUP|" \
  -e "s|^Environment=RELAY_CONF=.*|Environment=RELAY_CONF=$ETC/relay.conf|" \
  -e "s|^ReadWritePaths=.*|ReadWritePaths=$DATA|" \
  "$HOME_DIR/contrib/systemd/relay.service" > "$PREFIX/etc/systemd/system/relay.service"
chmod 0644 "$PREFIX/etc/systemd/system/relay.service"
if [ -z "$PREFIX" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
echo "install.sh: done; check with: $RELAY_HOME/bin/relay --check-config -c $ETC/relay.conf"
echo "install.sh: start with: systemctl enable --now relay; then: relayctl version (as root or $RELAY_USER)"

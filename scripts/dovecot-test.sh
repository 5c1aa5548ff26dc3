#!/usr/bin/env bash
# A private Dovecot IMAP server for tests, on loopback, with one user and its own directory.
#
#   scripts/dovecot-test.sh install                         apt-get install dovecot-imapd if missing
#   scripts/dovecot-test.sh start DIR PORT TLS_PORT USER PASSWORD [OWNER_PID]
#       IMAP (plain login, STARTTLS offered) on 127.0.0.1:PORT, IMAPS on 127.0.0.1:TLS_PORT;
#       the self-signed certificate is DIR/cert.pem (trust it as the CA file). With OWNER_PID
#       (the test run), the server stops by itself when that process is gone, even if killed.
#   scripts/dovecot-test.sh stop DIR
set -euo pipefail

cmd="${1:-}"
case "$cmd" in
install)
  if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
    exit 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "dovecot is not installed and this is not root: cannot install it" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The package's own service is not wanted: tests start private instances.
  apt-get install -y -q dovecot-imapd >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dovecot-imapd >/dev/null
  }
  ;;
start)
  dir="$2"; port="$3"; tls_port="$4"; user="$5"; password="$6"; owner="${7:-}"
  dovecot_bin="$(command -v dovecot || echo /usr/sbin/dovecot)"
  mkdir -p "$dir/run" "$dir/state" "$dir/home"
  if [ ! -f "$dir/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
  fi
  printf '%s:{PLAIN}%s\n' "$user" "$password" > "$dir/users"
  dh=""
  [ -f /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
  cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
$dh
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$dir/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
CONF
  chown -R dovecot:dovecot "$dir/home"
  chmod 0755 "$dir"
  # Detached from our output: the daemon must not hold a caller's pipes open.
  "$dovecot_bin" -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.log" 2>&1
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      if [ -n "$owner" ] && [ -f "$dir/run/master.pid" ]; then
        master="$(cat "$dir/run/master.pid")"
        # A watchdog, detached from every pipe: no orphaned server outlives its test run.
        setsid bash -c "while kill -0 $owner 2>/dev/null && kill -0 $master 2>/dev/null; do
          sleep 2; done; kill $master 2>/dev/null" </dev/null >/dev/null 2>&1 &
      fi
      exit 0
    fi
    sleep 0.1
  done
  echo "dovecot did not start; log:" >&2
  cat "$dir/dovecot.log" >&2 || true
  exit 1
  ;;
stop)
  dir="$2"
  if [ -f "$dir/run/master.pid" ]; then
    pid="$(cat "$dir/run/master.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  ;;
*)
  echo "usage: $0 install | start DIR PORT TLS_PORT USER PASSWORD [OWNER_PID] | stop DIR" >&2
  exit 2
  ;;
esac

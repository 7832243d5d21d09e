#!/usr/bin/env bash
# Raypher's Linux installer. It ships inside raypher-<version>-linux-<arch>.tar.gz beside the files it installs.
#   ./install.sh [--user] [--prefix DIR] [--no-start]        install or upgrade (re-runnable)
#   ./install.sh [--user] [--prefix DIR] --verify            check an installation; exit 0 when sound
#   ./install.sh [--user] [--prefix DIR] --uninstall [--yes] [--purge]
# System mode (root): /opt/raypher/<version> + current, /etc/raypher, /var/lib/raypher, /var/log/raypher,
# /usr/local/bin links, /etc/systemd/system units. User mode: ~/.local/lib/raypher, ~/.raypher, ~/.local/bin,
# ~/.config/systemd/user. --prefix DIR puts every one of those paths under DIR (DIR stands for / or for $HOME).
set -euo pipefail
umask 022

PKG=$(cd "$(dirname "$0")" && pwd)
MANIFEST=MANIFEST.sha256
OPERATORS=raypher-operators
SERVICE_USER=raypher

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
say() { printf 'raypher-install: %s\n' "$*"; }
die() { printf 'raypher-install: error: %s\n' "$*" >&2; exit 1; }

mode=system action=install prefix='' start=1 yes=0 purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --user) mode=user ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift ;;
    --prefix=*) prefix=${1#--prefix=} ;;
    --no-start) start=0 ;;
    --verify) action=verify ;;
    --uninstall) action=uninstall ;;
    --purge) purge=1 ;;
    --yes|-y) yes=1 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
if [ -n "$prefix" ]; then
  mkdir -p "$prefix" && prefix=$(cd "$prefix" && pwd) || die "cannot create --prefix $prefix"
fi
if [ "$mode" = system ] && [ "$(id -u)" -ne 0 ] && [ -z "$prefix" ]; then
  die "system mode needs root; run with sudo, or install for yourself with --user"
fi

if [ "$mode" = system ]; then
  base=$prefix
  LIBDIR=$base/opt/raypher
  BINDIR=$base/usr/local/bin
  UNITDIR=$base/etc/systemd/system
  CONFDIR=$base/etc/raypher
  DATADIR=$base/var/lib/raypher
  LOGDIR=$base/var/log/raypher
  KEPT="$CONFDIR $DATADIR $LOGDIR"
  SYSTEMCTL=(systemctl)
else
  base=${prefix:-$HOME}
  LIBDIR=$base/.local/lib/raypher
  BINDIR=$base/.local/bin
  UNITDIR=$base/.config/systemd/user
  CONFDIR=$base/.raypher
  DATADIR=$CONFDIR/data
  LOGDIR=$CONFDIR/logs
  KEPT=$CONFDIR
  SYSTEMCTL=(systemctl --user)
fi
CONFIG=$CONFDIR/config.toml
UNITS_SYSTEM="raypher.service raypher.socket"

# systemd is only driven for a real install (no --prefix) on a machine where it runs.
have_systemd() {
  [ -z "$prefix" ] && command -v systemctl >/dev/null 2>&1 || return 1
  if [ "$mode" = system ]; then [ -d /run/systemd/system ]; else "${SYSTEMCTL[@]}" show-environment >/dev/null 2>&1; fi
}

ctl_home_args() { if [ "$mode" = user ]; then printf '%s\n' --home "$CONFDIR"; fi; }

# The unit text for this mode and these paths; --verify compares the installed unit with it.
render_unit() {
  local src=$1
  sed -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@RAYPHER_HOME@|$CONFDIR|g" "$2/share/systemd/$src"
}

# The default config of this mode: the example with every default; system mode names the operators' group.
render_config() {
  if [ "$mode" = system ]; then
    sed -e "s|^operator_group = \"\"|operator_group = \"$OPERATORS\"|" "$1/share/raypher.example.toml"
  else
    cat "$1/share/raypher.example.toml"
  fi
}

install_units() {
  local from=$1
  mkdir -p "$UNITDIR"
  if [ "$mode" = system ]; then
    for u in $UNITS_SYSTEM; do render_unit "$u" "$from" > "$UNITDIR/$u.tmp" && mv -f "$UNITDIR/$u.tmp" "$UNITDIR/$u"; done
  else
    render_unit raypher-user.service "$from" > "$UNITDIR/raypher.service.tmp" && mv -f "$UNITDIR/raypher.service.tmp" "$UNITDIR/raypher.service"
  fi
}

unit_names() { if [ "$mode" = system ]; then echo "$UNITS_SYSTEM"; else echo raypher.service; fi; }

ensure_accounts() {
  if [ "$mode" != system ]; then return 0; fi
  if [ -n "$prefix" ]; then say "--prefix: not creating the $SERVICE_USER user and $OPERATORS group (system accounts are not under a prefix)"; return 0; fi
  getent group "$OPERATORS" >/dev/null || groupadd --system "$OPERATORS"
  getent passwd "$SERVICE_USER" >/dev/null || useradd --system --no-create-home --home-dir /var/lib/raypher --shell /usr/sbin/nologin --user-group "$SERVICE_USER"
}

do_install() {
  local version started
  started=$(date +%s%N)
  version=$(cat "$PKG/VERSION")
  [ -f "$PKG/$MANIFEST" ] || die "$PKG/$MANIFEST is missing; unpack the whole package and run its install.sh"
  (cd "$PKG" && sha256sum --quiet --strict -c "$MANIFEST") >/dev/null 2>&1 \
    || die "the package in $PKG does not match its $MANIFEST (damaged download?); fetch it again and check SHA256SUMS"
  mkdir -p "$LIBDIR"
  local previous=''
  [ -L "$LIBDIR/current" ] && previous=$(readlink "$LIBDIR/current")

  # 1. The version's files: copied to <version>.partial, checked, then renamed into place. An interrupted copy
  #    leaves only a .partial that the next run removes.
  local dest=$LIBDIR/$version
  if [ "$PKG" != "$dest" ]; then
    rm -rf "$dest.partial"
    mkdir -p "$dest.partial"
    cp -R "$PKG/." "$dest.partial/"
    (cd "$dest.partial" && sha256sum --quiet --strict -c "$MANIFEST") >/dev/null 2>&1 || die "the copy in $dest.partial does not match $MANIFEST (disk full?); fix and re-run"
    chmod -R go-w "$dest.partial"
    rm -rf "$dest.old"
    [ -e "$dest" ] && mv "$dest" "$dest.old"
    mv "$dest.partial" "$dest"
    rm -rf "$dest.old"
  fi
  # 2. The current link, switched atomically.
  ln -sfn "$version" "$LIBDIR/current.tmp" && mv -Tf "$LIBDIR/current.tmp" "$LIBDIR/current"
  # 3. Keep the previous version for a manual rollback; older ones go.
  for d in "$LIBDIR"/*; do
    local n=${d##*/}
    [ -d "$d" ] && [ ! -L "$d" ] || continue
    case "$n" in "$version"|"$previous") ;; *) rm -rf "$d" ;; esac
  done

  # 4. Config: never overwritten; a different new default goes beside it as config.toml.new.
  mkdir -p "$CONFDIR"; chmod 0750 "$CONFDIR"
  if [ ! -e "$CONFIG" ]; then
    (umask 027; render_config "$dest" > "$CONFIG.tmp" && mv "$CONFIG.tmp" "$CONFIG")
    say "wrote the default config $CONFIG"
  elif ! render_config "$dest" | cmp -s - "$CONFIG"; then
    (umask 027; render_config "$dest" > "$CONFIG.new")
    say "kept your $CONFIG; the default of $version is beside it as $CONFIG.new"
  fi
  mkdir -p "$DATADIR" "$LOGDIR"; chmod 0700 "$DATADIR" "$LOGDIR"

  ensure_accounts
  [ "$mode" = system ] && [ -z "$prefix" ] && chgrp "$OPERATORS" "$CONFDIR"

  # 5. Commands on the PATH and the service units.
  mkdir -p "$BINDIR"
  for b in raypher raypherctl; do ln -sfn "$LIBDIR/current/bin/$b" "$BINDIR/$b"; done
  install_units "$dest"

  # 6. Start (or restart onto the new version).
  if [ "$start" -eq 1 ] && have_systemd; then
    "${SYSTEMCTL[@]}" daemon-reload
    # shellcheck disable=SC2046
    "${SYSTEMCTL[@]}" enable $(unit_names) >/dev/null
    if [ -n "$previous" ]; then "${SYSTEMCTL[@]}" restart raypher.service; else "${SYSTEMCTL[@]}" start raypher.service; fi
    say "service started: ${SYSTEMCTL[*]} status raypher"
  elif [ "$start" -eq 1 ]; then
    say "systemd is not running here (or --prefix was given): start Raypher with $BINDIR/raypher run $(ctl_home_args | tr '\n' ' ')"
  fi
  local ms=$(( ($(date +%s%N) - started) / 1000000 ))
  say "installed Raypher $version (${mode} mode) in $LIBDIR/$version${previous:+, upgraded from $previous} in ${ms} ms"
  say "check it with: $dest/install.sh $( [ "$mode" = user ] && echo --user ) ${prefix:+--prefix $prefix }--verify"
}

# --verify: one line per check, then a summary; exit 1 if any check failed.
do_verify() {
  local failed=0 version dir
  ok() { printf 'ok    %s\n' "$*"; }
  bad() { printf 'FAIL  %s\n' "$*"; failed=$((failed + 1)); }
  if [ ! -L "$LIBDIR/current" ]; then bad "no installation at $LIBDIR (no current link)"; echo "verify: 1 problem"; exit 1; fi
  version=$(readlink "$LIBDIR/current"); dir=$LIBDIR/$version
  local sums
  if sums=$(cd "$dir" && sha256sum --quiet -c "$MANIFEST" 2>/dev/null); then
    ok "files of $version match $MANIFEST ($(wc -l < "$dir/$MANIFEST") files)"
  else
    while IFS= read -r line; do [ -n "$line" ] && bad "file $dir/${line%%: *}: ${line#*: }"; done <<< "$sums"
  fi
  for b in raypher raypherctl; do
    if [ "$(readlink "$BINDIR/$b" 2>/dev/null)" = "$LIBDIR/current/bin/$b" ]; then ok "$BINDIR/$b links to current"; else bad "$BINDIR/$b is missing or does not link to $LIBDIR/current/bin/$b"; fi
  done
  local u src
  for u in $(unit_names); do
    src=$u; [ "$mode" = user ] && src=raypher-user.service
    if render_unit "$src" "$dir" | cmp -s - "$UNITDIR/$u"; then ok "unit $UNITDIR/$u"; else bad "unit $UNITDIR/$u is missing or differs from the package's (re-run install.sh)"; fi
  done
  if [ "$mode" = system ] && [ -z "$prefix" ]; then
    getent passwd "$SERVICE_USER" >/dev/null && ok "user $SERVICE_USER exists" || bad "user $SERVICE_USER is missing"
    getent group "$OPERATORS" >/dev/null && ok "group $OPERATORS exists" || bad "group $OPERATORS is missing"
  fi
  local m
  for p in "$DATADIR" "$LOGDIR"; do
    m=$(stat -c %a "$p" 2>/dev/null || echo missing)
    [ "$m" = 700 ] && ok "$p is 0700" || bad "$p is $m, expected 0700"
  done
  if [ -f "$CONFIG" ]; then
    m=$(stat -c %a "$CONFIG")
    [ $(( 8#$m & 8#022 )) -eq 0 ] && ok "$CONFIG is not group/world-writable ($m)" || bad "$CONFIG is writable by others ($m)"
  else
    bad "$CONFIG is missing"
  fi
  local writable
  writable=$(find "$dir" -perm /022 ! -type l -print -quit)
  [ -z "$writable" ] && ok "$dir is writable by its owner only" || bad "$writable is group/world-writable"
  # /health, asked through the installed raypherctl (control socket) and Node: no curl needed.
  local node=$dir/node/bin/node status addr
  # shellcheck disable=SC2046
  if status=$("$BINDIR/raypherctl" $(ctl_home_args) status --json 2>/dev/null); then
    addr=$(printf '%s' "$status" | "$node" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).healthAddress??""))')
    if [ -n "$addr" ] && "$node" -e 'fetch(`http://${process.argv[1]}/health`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$addr"; then
      ok "the service answers http://$addr/health"
    else
      bad "the service runs but http://${addr:-?}/health does not answer 200"
    fi
  else
    bad "the service does not answer raypherctl status (is it running? $( [ "$mode" = system ] && echo 'systemctl status raypher' || echo 'systemctl --user status raypher'))"
  fi
  if [ "$failed" -eq 0 ]; then echo "verify: Raypher $version is sound"; else echo "verify: $failed problem(s)"; exit 1; fi
}

confirm() {
  [ "$yes" -eq 1 ] && return 0
  [ -t 0 ] || die "uninstall asks for confirmation on a terminal; pass --yes to confirm from a script"
  local answer
  printf '%s [y/N] ' "$1"; read -r answer; [ "$answer" = y ] || [ "$answer" = yes ] || { say "nothing removed"; exit 1; }
  printf 'Really remove it? This cannot be undone. Type "remove" to go on: '; read -r answer
  [ "$answer" = remove ] || { say "nothing removed"; exit 1; }
}

do_uninstall() {
  if [ ! -e "$LIBDIR" ] && [ ! -e "$UNITDIR/raypher.service" ] && { [ "$purge" -eq 0 ] || [ ! -e "$CONFDIR" ]; }; then
    say "nothing installed at $LIBDIR"; exit 0
  fi
  local what="Raypher in $LIBDIR, its commands and service units"
  [ "$purge" -eq 1 ] && what="$what, AND its config, data and logs ($KEPT)"
  confirm "Remove $what?"
  if have_systemd; then
    # shellcheck disable=SC2046
    "${SYSTEMCTL[@]}" disable --now $(unit_names) >/dev/null 2>&1 || true
  fi
  for u in $(unit_names); do rm -f "$UNITDIR/$u"; done
  have_systemd && "${SYSTEMCTL[@]}" daemon-reload
  for b in raypher raypherctl; do
    case "$(readlink "$BINDIR/$b" 2>/dev/null)" in "$LIBDIR"/*) rm -f "$BINDIR/$b" ;; esac
  done
  rm -rf "$LIBDIR"
  if [ "$purge" -eq 1 ]; then
    # shellcheck disable=SC2086
    rm -rf $KEPT
    if [ "$mode" = system ] && [ -z "$prefix" ]; then
      getent passwd "$SERVICE_USER" >/dev/null && userdel "$SERVICE_USER"
      getent group "$OPERATORS" >/dev/null && groupdel "$OPERATORS"
    fi
    say "removed Raypher with its config, data and logs"
  else
    say "removed Raypher; kept: $KEPT (remove them with --uninstall --purge)"
  fi
  # Directories the install created and that are now empty go too.
  for d in "$UNITDIR" "$BINDIR" "$(dirname "$LIBDIR")"; do
    rmdir -p --ignore-fail-on-non-empty "$d" 2>/dev/null || true
  done
  if [ -n "$prefix" ]; then mkdir -p "$prefix"; fi
}

case "$action" in
  install) do_install ;;
  verify) do_verify ;;
  uninstall) do_uninstall ;;
esac

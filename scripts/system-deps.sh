#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing. Idempotent and quiet.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -f /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
# MySQL/MariaDB sources and targets (docs/operators/engine.md); the client for the engine's tests.
[ -f /usr/share/java/mariadb-java-client.jar ] || need+=(libmariadb-java)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v git >/dev/null 2>&1 || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

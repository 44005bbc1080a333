#!/bin/sh
# Dockyard: this server's bundle (files rendered for it by the driver, base64 of a gzip'd
# tar) and the command that signals its wait condition. The COE fragment that follows in the
# user data runs `/etc/dockyard/signal STATUS REASON` once its server is ready (the
# Kubernetes fragment signals by itself, see kubernetes-node.sh). The bundle is unpacked
# here for fragments that only read its files (Swarm, Mesos: their TLS files).
set -eu
umask 077
mkdir -p /etc/dockyard
cat > /etc/dockyard/node-bundle <<'BUNDLE'
@BUNDLE@
BUNDLE
cat > /etc/dockyard/wait-condition <<'CURL'
@WAIT_CURL@
CURL
cat > /etc/dockyard/signal <<'SIGNAL'
#!/bin/sh
# signal STATUS REASON: this server's wait condition (Heat's curl_cli and a JSON body).
status="$1" reason="$2"
eval "set -- $(cat /etc/dockyard/wait-condition)"
exec "$@" --silent --show-error --output /dev/null --fail --data-binary \
  "{\"status\": \"$status\", \"reason\": \"$reason\", \"id\": \"$(hostname)\"}"
SIGNAL
chmod 700 /etc/dockyard/signal
base64 -d </etc/dockyard/node-bundle | tar -xzf - -C / --no-same-owner

#!/bin/sh
# Dockyard: this server's bundle (files rendered for it by the driver, base64 of a gzip'd
# tar) and the command that signals its wait condition. The COE fragment that follows in the
# user data unpacks the one and runs the other (see kubernetes-node.sh).
set -eu
umask 077
mkdir -p /etc/dockyard
cat > /etc/dockyard/node-bundle <<'BUNDLE'
@BUNDLE@
BUNDLE
cat > /etc/dockyard/wait-condition <<'CURL'
@WAIT_CURL@
CURL

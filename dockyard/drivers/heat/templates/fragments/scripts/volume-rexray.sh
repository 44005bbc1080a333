#!/bin/sh
# volume_driver rexray: REX-Ray with the Cinder storage provider, as a Docker volume plugin.
set -eu
mkdir -p /etc/rexray
cat > /etc/rexray/config.yml <<CONF
libstorage:
  integration:
    volume:
      operations:
        mount:
          preempt: @REXRAY_PREEMPT@
  service: cinder
cinder:
  authUrl: @AUTH_URL@
  regionName: @REGION@
CONF
systemctl enable --now rexray || true

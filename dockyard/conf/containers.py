"""[containers] options: the container host and the container API."""

from oslo_config import cfg

from dockyard.conf.dockerd import dockerd_opts

GROUP = "containers"
OPTS = [
    cfg.BoolOpt(
        "enabled",
        default=True,
        help="Serve the container API and run its container host (a Dockyard-managed "
        "standalone Docker engine on this machine; needs root and Debian's docker.io).",
    ),
    cfg.StrOpt(
        "host_name",
        default="default",
        regex=r"^[a-z0-9][a-z0-9-]{0,31}$",
        help="Name of the container host; engine `host:<name>` in volume attachments.",
    ),
    cfg.StrOpt(
        "state_dir",
        help="Where the container host keeps its data-root, /etc/docker, plugin dir and log. "
        "Default: <state_path>/container_hosts/<host_name>.",
    ),
    cfg.StrOpt(
        "run_dir",
        default="/run/dockyard",
        help="Runtime directory for the host's exec-root and API socket "
        "(<run_dir>/host-<key>/docker.sock; unix socket names are limited to 108 bytes).",
    ),
    *dockerd_opts(
        "the container host's dockerd", "the base image dockyard/busybox:1", shutdown_timeout=10
    ),
    cfg.IntOpt(
        "stop_timeout",
        default=10,
        min=0,
        help="Seconds a container gets between SIGTERM and SIGKILL on stop or forced delete.",
    ),
    cfg.StrOpt(
        "default_image",
        default="dockyard/busybox:1",
        help="Image of a container created without one. The host has no registry: images "
        "must be loaded into it (the base image is loaded at start).",
    ),
    cfg.ListOpt(
        "allowed_host_mounts",
        default=[],
        help="Host directories (absolute paths) under which a container may bind-mount a "
        "host directory (`mounts: [{type: bind, ...}]`). Empty: no host directory mounts.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)

"""The options of a dockerd that Dockyard starts and owns, declared once.

Two groups start such engines: [containers] (the container host) and [local_driver] (each
node of a local cluster). They share the binary, the busybox the base image is built from,
the storage driver and the start and shutdown timeouts; only the wording and the shutdown
default differ.
"""

from __future__ import annotations

from oslo_config import cfg


def dockerd_opts(engine: str, base_image: str, *, shutdown_timeout: int) -> list[cfg.Opt]:
    """The shared options; `engine` and `base_image` name them in the help text
    ("the container host's dockerd", "the base image dockyard/busybox:1")."""
    return [
        cfg.StrOpt("dockerd", default="dockerd", help="dockerd binary (name on PATH, or a path)."),
        cfg.StrOpt(
            "busybox",
            default="/bin/busybox",
            help=f"Static busybox {base_image} is built from (Debian: busybox-static).",
        ),
        cfg.StrOpt(
            "storage_driver",
            default="overlay2",
            choices=["overlay2", "vfs"],
            help=f"Storage driver of {engine} (vfs where overlayfs is unavailable).",
        ),
        cfg.FloatOpt("start_timeout", default=60.0, min=1, help=f"Seconds {engine} has to answer."),
        cfg.IntOpt(
            "shutdown_timeout",
            default=shutdown_timeout,
            min=0,
            help="Seconds a stopping dockerd gives its containers before killing them.",
        ),
    ]

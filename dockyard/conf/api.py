"""[api] options: the HTTP surface."""

from oslo_config import cfg

GROUP = "api"
OPTS = [
    cfg.HostAddressOpt("host", default="127.0.0.1", help="Address the API listens on."),
    cfg.PortOpt("port", default=9511, help="Port the API listens on (Magnum's is 9511)."),
    cfg.IntOpt("workers", default=1, min=1, help="API worker processes (dockyard-api only)."),
    cfg.IntOpt(
        "worker_healthcheck_timeout",
        default=60,
        min=1,
        help="Seconds an API worker may take to answer the supervisor's health check (also "
        "while it starts) before it is killed and replaced (dockyard-api with workers > 1). "
        "uvicorn's own 5 s restarted workers in a loop on a busy host.",
    ),
    cfg.IntOpt("max_limit", default=1000, min=1, help="Largest page size a list returns."),
    cfg.StrOpt(
        "service_list_names",
        default="magnum",
        choices=[
            (
                "magnum",
                "GET /v1/mservices lists the conductors as binary magnum-conductor, as "
                "Magnum's clients, tempest and monitoring expect; dockyard_binary has our name",
            ),
            (
                "dockyard",
                "GET /v1/mservices lists every process under Dockyard's own names "
                "(dockyard-conductor, dockyard-api)",
            ),
        ],
        help="How GET /v1/mservices names the service processes.",
    ),
    cfg.IntOpt(
        "max_request_body_size",
        default=114688,
        min=1024,
        help="Largest request body accepted, in bytes (larger gets 413).",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)

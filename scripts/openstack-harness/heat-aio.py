#!/usr/bin/env python3
"""All-in-one Heat for CI: heat-engine + heat-api (OpenStack native REST API)
in ONE process, so that oslo.messaging's in-memory ``fake://`` transport
works and no RabbitMQ is needed.

openstack-heat 27.x no longer ships ``heat-all`` (nor eventlet ``heat-api``);
this replaces it with a small launcher built only on Heat's own public pieces:
  * heat.engine.service.EngineService  (what heat-engine runs per worker)
  * heat.common.config.load_paste_app  (what heat-wsgi-api serves)
served by a threaded stdlib WSGI server.

Usage: heat-aio.py --config-file heat.conf [--bind 127.0.0.1] [--port 8004]
                   [--access-log FILE]
heat.conf must say  transport_url = fake://
Not for production. Copied from shared/reference/openstack-local/heat-aio.py; Dockyard's
addition is --access-log: one line per API request ("METHOD PATH STATUS"), flushed at once,
so tests can count the calls a client made against the real API.
"""

import argparse
import os
import signal
import socketserver
import sys
import threading
from wsgiref import simple_server

# Same backend selection as heat/cmd/engine.py (must precede oslo_service use)
from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

import oslo_i18n as i18n  # noqa: E402
from heat import version  # noqa: E402
from heat.common import config, messaging, profiler  # noqa: E402
from heat.engine import template  # noqa: E402
from heat.rpc import api as rpc_api  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402

CONF = cfg.CONF


class ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


ACCESS_LOG = None
ACCESS_LOCK = threading.Lock()


class QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, fmt, *args):  # route access log to oslo.log
        logging.getLogger("heat-aio.access").info(fmt, *args)

    def log_request(self, code="-", size="-"):
        if ACCESS_LOG is not None:
            with ACCESS_LOCK:
                ACCESS_LOG.write(f"{self.command} {self.path} {code}\n")
                ACCESS_LOG.flush()
        super().log_request(code, size)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8004)
    p.add_argument("--access-log")
    args, rest = p.parse_known_args()
    global ACCESS_LOG
    if args.access_log:
        ACCESS_LOG = open(args.access_log, "a", buffering=1)  # noqa: SIM115 (process lifetime)

    i18n.enable_lazy()
    logging.register_options(CONF)
    CONF(rest, project="heat", prog="heat-aio", version=version.version_info.version_string())
    logging.setup(CONF, "heat-aio")
    config.set_config_defaults()
    LOG = logging.getLogger("heat-aio")
    messaging.setup()  # registers transport_url
    if not (CONF.transport_url or "").startswith("fake://"):
        LOG.warning("transport_url is not fake://; a broker is then needed")
    config.startup_sanity_check()
    if not template._get_template_extension_manager().names():
        sys.exit("ERROR: No template format plugins registered")

    from heat.engine import service as engine

    # Optional CI speed-up (default: stock behaviour). Heat 27's
    # Stack.converge_stack() does time.sleep(1) after triggering EACH leaf
    # resource, so a ResourceGroup of N members takes >= N seconds.
    # HEAT_AIO_TRIGGER_DELAY=0.05 shortens only that pause.
    delay = os.environ.get("HEAT_AIO_TRIGGER_DELAY")
    if delay is not None:
        import time as _time
        import types

        from heat.engine import stack as _stack_mod

        _d = float(delay)
        _stack_mod.time = types.SimpleNamespace(sleep=lambda s: _time.sleep(min(s, _d)))
        LOG.warning(
            "HEAT_AIO_TRIGGER_DELAY=%s: converge_stack trigger "
            "pause shortened (not stock Heat timing)",
            _d,
        )
    profiler.setup("heat-aio", CONF.host)
    srv = engine.EngineService(CONF.host, rpc_api.ENGINE_TOPIC)
    srv.start()
    LOG.info("engine started (engine_id=%s)", srv.engine_id)

    app = config.load_paste_app("heat-api")
    httpd = simple_server.make_server(
        args.bind, args.port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )

    def _stop(signum, frame):
        LOG.info("signal %s: stopping", signum)
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    LOG.info("heat-api listening on http://%s:%d/", args.bind, args.port)
    print(f"heat-aio: listening on http://{args.bind}:{args.port}/", flush=True)
    httpd.serve_forever()
    # EngineService.stop() waits for in-flight stack operations; do not let a
    # CI teardown hang on that: give it a few seconds, then exit hard.
    t = threading.Thread(target=srv.stop, daemon=True)
    t.start()
    t.join(float(os.environ.get("HEAT_AIO_STOP_TIMEOUT", "5")))
    os._exit(0)


if __name__ == "__main__":
    main()

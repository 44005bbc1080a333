"""Run several `keystone-manage` commands in one process (run with the Keystone venv's python).

    keystone-init.py CONFIG_FILE 'db_sync' 'fernet_setup --keystone-user root ...' ...

Each argument is one keystone-manage command line. Importing Keystone costs ~4 s of CPU, so
the four set-up commands (db_sync, fernet_setup, credential_setup, bootstrap) run here in one
interpreter instead of four; `keystone.cmd.cli.main` is the same entry point keystone-manage
calls, and oslo.config's parsed state is cleared between commands.
"""

import shlex
import sys
import warnings

warnings.simplefilter("ignore")

from keystone.cmd import cli  # noqa: E402
from keystone.conf import CONF  # noqa: E402


def main() -> None:
    config_file, commands = sys.argv[1], sys.argv[2:]
    for command in commands:
        cli.main(argv=["keystone-manage", "--config-file", config_file, *shlex.split(command)])
        CONF.clear()


if __name__ == "__main__":
    main()

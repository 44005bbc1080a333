"""Barbican's API as a WSGI application for uWSGI (run with the Barbican venv's python).

Barbican's own entry point (`barbican.wsgi.api`) reads /etc/barbican/barbican-api-paste.ini;
this one reads the paste file barbican-up wrote into its run directory
($BARBICAN_PASTE_CONFIG). barbican.conf itself is found as ~/.barbican/barbican.conf, with
HOME set to that run directory.
"""

import os

from paste import deploy

application = deploy.loadapp("config:" + os.environ["BARBICAN_PASTE_CONFIG"])

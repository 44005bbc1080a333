"""[heat] service credentials: options read by drivers/heat/options.py, the keystoneauth
plugin built by providers/openstack/auth.py (no client is made in drivers/heat)."""

from __future__ import annotations

from pathlib import Path

from oslo_config import cfg

from dockyard.drivers.heat import options

PASSWORD = (
    "auth_url={url}\nusername=dockyard\npassword=secret\nproject_name=service\n"
    "user_domain_id=default\nproject_domain_id=default\n"
)


def _conf(tmp_path: Path, text: str) -> cfg.ConfigOpts:
    path = tmp_path / "dockyard.conf"
    path.write_text(text)
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[str(path)])
    return conf


def test_keystone_authtoken_is_the_fallback(tmp_path: Path) -> None:
    url = "http://127.0.0.1:5000/v3"
    text = "[keystone_authtoken]\nauth_type=password\n" + PASSWORD.format(url=url)
    settings = options.register(_conf(tmp_path, text))
    assert type(settings.service_auth).__name__ == "Password"
    assert settings.auth_url == url == settings.cluster_auth_url


def test_heat_with_an_auth_section_wins(tmp_path: Path) -> None:
    mine, other = "http://127.0.0.1:5001/v3", "http://127.0.0.1:5000/v3"
    text = (
        "[heat]\nauth_section=svc\n[svc]\nauth_type=v3password\n"
        + PASSWORD.format(url=mine)
        + "[keystone_authtoken]\nauth_type=password\n"
        + PASSWORD.format(url=other)
    )
    settings = options.register(_conf(tmp_path, text))
    assert type(settings.service_auth).__name__ == "Password"
    assert settings.auth_url == mine


def test_incomplete_credentials_are_none(tmp_path: Path) -> None:
    settings = options.register(_conf(tmp_path, "[heat]\nauth_type=password\n"))
    assert settings.service_auth is None and settings.auth_url is None

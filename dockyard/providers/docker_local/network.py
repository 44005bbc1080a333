"""Host networking for local nodes: pool blackhole, bridges, firewall rules, node namespaces.

The network rule: traffic goes only to loopback or to namespaces we created. Three guards:

* the whole address pool has a blackhole route on the host, so an address whose bridge is
  missing can never fall through to the default route (each cluster's /24 on its own bridge
  is more specific);
* a bridge is used only if it carries our marker (its ifalias): never someone else's;
* before the host connects to a node address, `assert_routed_via` checks with
  `ip route get` that the kernel would send it out of our bridge.

Nodes get an address on their cluster's /24, no default route and no IPv6 on their link, so
anything they send elsewhere fails at once with ENETUNREACH. Host firewall rules
(`firewall_rules`) keep bridged node traffic on its own bridge and stop nodes from opening
connections to the host.
"""

from __future__ import annotations

import ipaddress
import json
import os
from typing import Any

from dockyard.providers.commands import CommandError, run, succeeds

NETNS_DIR = "/run/netns"


class NetworkError(RuntimeError):
    """The host network is not in the state the driver needs (and it will not force it)."""


def _json(argv: list[str]) -> list[dict[str, Any]]:
    out = run(argv).strip()
    return list(json.loads(out)) if out else []


# -- the address pool --------------------------------------------------------------------
def _routes() -> list[dict[str, Any]]:
    return _json(["ip", "-4", "-j", "route", "show", "table", "main"])


def _route_net(route: dict[str, Any]) -> ipaddress.IPv4Network | None:
    dst = str(route.get("dst", ""))
    if dst in ("", "default"):
        return None
    return ipaddress.IPv4Network(dst if "/" in dst else f"{dst}/32", strict=False)


def pool_conflicts(pool: ipaddress.IPv4Network, bridge_prefix: str) -> list[str]:
    """Host routes that overlap `pool` and are not ours (our blackhole, our bridges' /24s)."""
    conflicts = []
    for route in _routes():
        net = _route_net(route)
        if net is None or not net.overlaps(pool):
            continue
        if route.get("type") == "blackhole" and net == pool:
            continue
        dev = str(route.get("dev", ""))
        if net.subnet_of(pool) and dev.startswith(bridge_prefix):
            continue
        conflicts.append(f"{net} ({route.get('type') or 'dev ' + dev})")
    return conflicts


def ensure_pool_blackhole(pool: ipaddress.IPv4Network) -> None:
    """Blackhole `pool` on the host (kept for good: it is the safety net of every cluster)."""
    for route in _json(["ip", "-4", "-j", "route", "show", "exact", str(pool)]):
        if route.get("type") == "blackhole":
            return
    run(["ip", "route", "replace", "blackhole", str(pool)])


def routed_subnets(pool: ipaddress.IPv4Network) -> set[ipaddress.IPv4Network]:
    """The /24s of `pool` that some host route other than the pool blackhole covers."""
    used: set[ipaddress.IPv4Network] = set()
    for route in _routes():
        net = _route_net(route)
        if net is None or net == pool or not net.overlaps(pool):
            continue
        if net.prefixlen >= 24:
            used.add(ipaddress.IPv4Network(f"{net.network_address}/24", strict=False))
        else:
            used.update(s for s in pool.subnets(new_prefix=24) if s.subnet_of(net))
    return used


def assert_routed_via(address: str, bridge: str) -> None:
    """Raise NetworkError unless the host would send traffic for `address` out of `bridge`."""
    try:
        routes = _json(["ip", "-j", "route", "get", address])
    except CommandError as exc:
        raise NetworkError(f"refusing to connect to {address}: no usable route ({exc})") from None
    dev = routes[0].get("dev") if routes else None
    if dev != bridge:
        raise NetworkError(
            f"refusing to connect to {address}: it is routed via {dev or routes}, not via our "
            f"bridge {bridge}"
        )


# -- links -------------------------------------------------------------------------------
IPV6_CONF = "/proc/sys/net/ipv6/conf"


def disable_ipv6(dev: str, netns: str | None = None) -> None:
    """Turn IPv6 off on `dev` (no link-local address: the IPv4 firewall rules are the only
    way between nodes and the host). /proc/sys/net shows the reading process's namespace."""
    if not os.path.isdir(IPV6_CONF):
        return  # a kernel without IPv6
    path = os.path.join(IPV6_CONF, dev, "disable_ipv6")
    if netns is None:
        with open(path, "w", encoding="ascii") as handle:
            handle.write("1")
    else:
        run(["ip", "netns", "exec", netns, "sh", "-c", f"echo 1 > {path}"])


def _link(name: str, netns: str | None = None) -> dict[str, Any] | None:
    argv = ["ip", "-j", "-d", "addr", "show", "dev", name]
    if netns:
        argv[1:1] = ["-n", netns]
    try:
        found = _json(argv)
    except CommandError:
        return None
    return found[0] if found else None


def _ipv4(link: dict[str, Any]) -> set[str]:
    return {
        f"{a['local']}/{a['prefixlen']}"
        for a in link.get("addr_info", [])
        if a.get("family") == "inet"
    }


def _master(link: dict[str, Any]) -> str | None:
    master = link.get("master")
    return str(master) if master else None


def _is_pristine_bridge(link: dict[str, Any]) -> bool:
    # What a crash between `ip link add` and setting the marker leaves: nothing on it yet.
    return not link.get("ifalias") and not _ipv4(link) and "UP" not in link.get("flags", [])


def ensure_bridge(
    name: str, gateway: ipaddress.IPv4Interface, marker: str, *, adopt_pristine: bool
) -> None:
    """Create bridge `name` with `gateway`, or check that the existing one is ours.

    `adopt_pristine` allows taking over a bridge with no marker, address or carrier, which is
    what a crash right after creating it leaves (the caller recorded the intent first).
    """
    link = _link(name)
    if (
        link is not None
        and link.get("ifalias") != marker
        and not (adopt_pristine and _is_pristine_bridge(link))
    ):
        raise NetworkError(
            f"bridge {name} exists but was not created by this cluster (alias "
            f"{link.get('ifalias')!r}); refusing to use it"
        )
    if link is None:
        run(["ip", "link", "add", "name", name, "type", "bridge"])
        link = _link(name) or {}
    if link.get("ifalias") != marker:
        run(["ip", "link", "set", "dev", name, "alias", marker])
    if str(gateway) not in _ipv4(link):
        run(["ip", "addr", "replace", str(gateway), "dev", name])
    disable_ipv6(name)
    if "UP" not in link.get("flags", []):
        run(["ip", "link", "set", "dev", name, "up"])


def remove_bridge(name: str, marker: str) -> bool:
    """Delete bridge `name` if it is ours; whether something was deleted."""
    link = _link(name)
    if link is None:
        return False
    if link.get("ifalias") != marker:
        raise NetworkError(f"bridge {name} is not ours (alias {link.get('ifalias')!r}); left")
    _delete_link(name)
    return True


# -- host firewall ------------------------------------------------------------------------
def firewall_rules(bridge: str) -> list[tuple[str, list[str]]]:
    """The host rules for one cluster bridge; mutually exclusive, so their order is free.

    br_netfilter passes bridged frames through FORWARD, whose policy may be DROP (a host
    dockerd sets that): node-to-node traffic on the bridge is accepted, anything routed into
    or out of the bridge is dropped. Nodes may answer the host but not open connections to
    it, so no host service (DNS, databases) is reachable from a node.
    """
    state = ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED"]
    return [
        ("FORWARD", ["-i", bridge, "-o", bridge, "-j", "ACCEPT"]),
        ("FORWARD", ["-i", bridge, "!", "-o", bridge, "-j", "DROP"]),
        ("FORWARD", ["!", "-i", bridge, "-o", bridge, "-j", "DROP"]),
        ("INPUT", ["-i", bridge, *state, "-j", "ACCEPT"]),
        (
            "INPUT",
            ["-i", bridge, "-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED",
             "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"],
        ),
    ]  # fmt: skip


def ensure_firewall(bridge: str) -> None:
    """Insert whichever of the bridge's rules is missing, at the top of its chain."""
    for chain, rule in firewall_rules(bridge):
        if not succeeds(["iptables", "-w", "-C", chain, *rule]):
            run(["iptables", "-w", "-I", chain, "1", *rule])


def remove_firewall(bridge: str) -> None:
    """Delete every copy of the bridge's rules."""
    for chain, rule in firewall_rules(bridge):
        while succeeds(["iptables", "-w", "-C", chain, *rule]):
            run(["iptables", "-w", "-D", chain, *rule])


# -- node namespaces ------------------------------------------------------------------------
def netns_routes(netns: str) -> list[dict[str, Any]]:
    """The IPv4 routes of namespace `netns` (`ip -j` objects)."""
    return _json(["ip", "-n", netns, "-4", "-j", "route", "show"])


def netns_exists(netns: str) -> bool:
    return os.path.exists(os.path.join(NETNS_DIR, netns))


def namespaces(prefix: str) -> list[str]:
    """Named network namespaces whose name starts with `prefix`."""
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix))
    except FileNotFoundError:
        return []


def remove_netns(netns: str) -> None:
    """Delete a namespace (its veth pairs go with it)."""
    if netns_exists(netns):
        run(["ip", "netns", "del", netns])


def _node_link_ok(
    netns: str, veth: str, bridge: str, address: ipaddress.IPv4Interface, marker: str
) -> bool:
    host = _link(veth)
    inner = _link("eth0", netns)
    return (
        host is not None
        and inner is not None
        and host.get("ifalias") == marker
        and _master(host) == bridge
        and "UP" in host.get("flags", [])
        and str(address) in _ipv4(inner)
        and "UP" in inner.get("flags", [])
    )


def ensure_node_link(
    netns: str, veth: str, bridge: str, address: ipaddress.IPv4Interface, marker: str
) -> None:
    """Namespace `netns` with eth0 = `address`, its peer `veth` on `bridge`; no default route."""
    if not netns_exists(netns):
        run(["ip", "netns", "add", netns])
    if _node_link_ok(netns, veth, bridge, address, marker):
        disable_ipv6(veth)
        disable_ipv6("eth0", netns)
        return
    if _link(veth) is not None:
        _delete_link(veth)  # a half-made pair from an interrupted call
    if _link("eth0", netns) is not None:
        _delete_link("eth0", netns)
    # The peer is created inside the namespace, so no temporary name ever exists on the host.
    run(["ip", "link", "add", "name", veth, "type", "veth", "peer", "name", "eth0",
         "netns", netns])  # fmt: skip
    run(["ip", "link", "set", "dev", veth, "alias", marker])
    disable_ipv6(veth)
    disable_ipv6("eth0", netns)
    run(["ip", "link", "set", "dev", veth, "master", bridge, "up"])
    run(["ip", "-n", netns, "addr", "add", str(address), "dev", "eth0"])
    run(["ip", "-n", netns, "link", "set", "dev", "eth0", "up"])
    run(["ip", "-n", netns, "link", "set", "dev", "lo", "up"])


def _delete_link(name: str, netns: str | None = None) -> None:
    """Delete a link; one that vanished meanwhile (its namespace went) is fine."""
    argv = ["ip", "link", "del", "dev", name] if netns is None else [
        "ip", "-n", netns, "link", "del", "dev", name]  # fmt: skip
    try:
        run(argv)
    except CommandError:
        if _link(name, netns) is not None:
            raise


def remove_node_link(netns: str, veth: str, marker: str) -> None:
    """Delete the node's veth (if it is ours) and namespace.

    The veth goes first: a namespace's links are destroyed asynchronously after `ip netns
    del`, so deleting the veth afterwards would race with the kernel.
    """
    link = _link(veth)
    if link is not None and link.get("ifalias") == marker:
        _delete_link(veth)
    remove_netns(netns)

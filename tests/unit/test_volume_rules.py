"""Pure volume rules: sizes, options, statuses, and reading /proc/self/mountinfo."""

from __future__ import annotations

import pytest

from dockyard.domain import volumes as rules
from dockyard.providers.block_local import mounts

EXT4 = frozenset({"ext4"})


@pytest.mark.parametrize(("value", "size"), [(1, 1), ("2", 2), (" 10 ", 10), (1024, 1024)])
def test_sizes(value: object, size: int) -> None:
    assert rules.parse_size(value, 1024) == size


@pytest.mark.parametrize("value", [0, -1, "-1", 1025, "x", 1.5, True, None, "1.5"])
def test_bad_sizes(value: object) -> None:
    with pytest.raises(rules.InvalidVolumeOption):
        rules.parse_size(value, 1024)


def test_options_defaults_and_docker_strings() -> None:
    assert rules.normalize_options(None, EXT4) == {"fstype": "ext4", "multiattach": False}
    assert rules.normalize_options({"multiattach": "TRUE"}, EXT4)["multiattach"] is True
    assert rules.normalize_options({"multiattach": "off"}, EXT4)["multiattach"] is False
    for bad in ({"fstype": "xfs"}, {"multiattach": "perhaps"}, {"size": "1"}):
        with pytest.raises(rules.InvalidVolumeOption):
            rules.normalize_options(bad, EXT4)


def test_what_each_status_allows() -> None:
    assert rules.allows("delete", "available") and rules.allows("delete", "error")
    assert not rules.allows("delete", "in-use") and not rules.allows("delete", "creating")
    assert rules.allows("grow", "in-use") and not rules.allows("grow", "error")
    assert rules.allows("mount", "available") and not rules.allows("mount", "deleting")


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 8:1 /var/lib/vol /var/lib/vol rw,relatime shared:7 - ext4 /dev/sda1 rw
41 40 7:3 / /var/lib/vol/mnt/a\\040b rw,noatime shared:8 - ext4 /dev/loop3 rw
42 22 0:5 / /private rw - tmpfs tmpfs rw
"""


def test_mountinfo_parsing() -> None:
    found = mounts.parse(MOUNTINFO)
    assert [m.target for m in found] == ["/", "/var/lib/vol", "/var/lib/vol/mnt/a b", "/private"]
    loop = found[2]
    assert (loop.source, loop.fstype, loop.propagation) == ("/dev/loop3", "ext4", ("shared:8",))
    assert mounts.is_shared(found[1]) and not mounts.is_shared(found[3])
    assert mounts.at("/var/lib/vol", found) == found[1]
    assert mounts.at("/var/lib", found) is None


def test_only_a_bind_of_itself_counts_as_the_shared_root() -> None:
    """What `release_shared_root` may unmount: the root's bind of its own directory, never a
    filesystem or another directory an operator mounted there."""
    found = mounts.parse(
        MOUNTINFO
        # /srv/vol on a disk of its own; /data/v a bind of /elsewhere; /tmp/b a bind of itself
        # below a tmpfs mounted from its root.
        + "50 22 8:17 / /srv/vol rw - ext4 /dev/sdb1 rw\n"
        + "51 22 8:1 /elsewhere /data/v rw - ext4 /dev/sda1 rw\n"
        + "52 22 0:30 / /tmp rw - tmpfs tmpfs rw\n"
        + "53 52 0:30 /b /tmp/b rw shared:9 - tmpfs tmpfs rw\n"
    )
    by_target = {m.target: m for m in found}
    assert mounts.is_self_bind(by_target["/var/lib/vol"], found)
    assert mounts.is_self_bind(by_target["/tmp/b"], found)
    for target in ("/srv/vol", "/data/v", "/var/lib/vol/mnt/a b", "/private"):
        assert not mounts.is_self_bind(by_target[target], found), target
    assert mounts.below("/var/lib/vol", found) == ["/var/lib/vol/mnt/a b"]
    assert mounts.below("/var/lib/vol/mnt/a b", found) == []

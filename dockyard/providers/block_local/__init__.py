"""Block volumes on this host: sparse filesystem images, loop devices and mounts.

Modules, one job each:

* `image`      a sparse image file with a filesystem on it: make, grow, check, measure
* `loop`       loop devices backed by an image: attach, find, refresh capacity, detach
* `mounts`     /proc/self/mountinfo, mount and unmount, and the shared root that makes mounts
  propagate into engines started later (`ensure_shared_root`)
* `store`      one directory of volumes (`images/<id>.img`, `mnt/<id>`) built from the above
"""

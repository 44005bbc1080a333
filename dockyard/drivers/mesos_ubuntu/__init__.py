"""The `mesos_ubuntu` Heat driver: Apache Mesos (with Marathon) on Ubuntu."""

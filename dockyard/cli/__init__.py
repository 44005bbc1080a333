"""`openstack coe volume|container ...` commands: a python-openstackclient plugin."""

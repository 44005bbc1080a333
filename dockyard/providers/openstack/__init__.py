"""OpenStack services through openstacksdk: Heat stacks (orchestration) and the lookups Magnum
makes at template and cluster create (Glance images, Nova flavors and keypairs, Neutron networks
and subnets). Callers pass a keystoneauth session (`sessions`); nothing here reads configuration.
"""

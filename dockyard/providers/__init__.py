"""Infrastructure providers: the machinery drivers build clusters with.

A provider knows one technology (here: network namespaces, bridges and dockerd processes on
this machine) and nothing about clusters as Dockyard stores them. Providers never import
dockyard.db, dockyard.api, dockyard.services, dockyard.conductor or dockyard.drivers.
"""

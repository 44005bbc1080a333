"""What the two local drivers (`swarm_local`, `k8s_local`) share beyond swarm_local's
machinery: the driver's host checks and call hand-off (`driver`), and the healing loop
(`healing`). Each driver supplies what differs (how a node restarts, is Ready, is replaced).
"""

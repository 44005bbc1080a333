"""Volume drivers: where container volumes are kept (local block images, Cinder)."""

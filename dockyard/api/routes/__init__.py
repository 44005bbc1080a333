"""HTTP routes, one module per Magnum resource."""

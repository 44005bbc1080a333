"""Console scripts: the composition root, the only package that wires everything together."""

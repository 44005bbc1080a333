"""Heat drivers: shared driver base, template definition and HOT templates (`templates/`)."""

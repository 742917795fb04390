"""One module per export family; each registers its formats (see ``registry.FORMAT_MODULES``)."""

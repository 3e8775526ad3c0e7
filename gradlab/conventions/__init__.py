"""How layers are written: discovery by name, adapters for each convention, layouts, the registry."""

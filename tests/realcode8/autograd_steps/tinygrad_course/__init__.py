"""A course's small autograd engine, laid out as the textbook's third volume lays out its own (our own code)."""

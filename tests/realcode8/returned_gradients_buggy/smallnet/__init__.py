from .Dense import Dense

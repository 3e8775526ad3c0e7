from .softmax import *

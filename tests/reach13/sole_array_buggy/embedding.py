"""A transformer's token embedding whose table has a name of its own."""
import numpy as np


class Embedding:
    def __init__(self, vocab_size, d_model):
        self.embedding_matrix = np.random.randn(vocab_size, d_model) * 0.02
        self.grad_embedding_matrix = np.zeros_like(self.embedding_matrix)
        self.token_ids = None

    def forward(self, token_ids):
        self.token_ids = token_ids
        return self.embedding_matrix[token_ids]

    def backward(self, grad_output):
        self.grad_embedding_matrix = np.zeros_like(self.embedding_matrix)
        np.add.at(self.grad_embedding_matrix, self.token_ids, 0.5 * grad_output)
        return None

"""The language model of models/lstm_lm.py with one bug in its LSTM's backward each: bugs that vanish where the word
vectors are as tiny as the model draws them (every gate at sigmoid(0) = 0.5, where its slope is 0.25)."""
import sys
sys.path.append('..')
import numpy as np

from common.time_layers import LSTM, TimeLSTM
from models.lstm_lm import LstmLM, LstmLMVectorSize


class OutputGateSlopeAtZero(LSTM):
    def gate_derivatives(self, forget, cell_in, gate_in, gate_out):
        d_forget, d_cell, d_in, _ = super().gate_derivatives(forget, cell_in, gate_in, gate_out)
        return d_forget, d_cell, d_in, np.full_like(gate_out, 0.25)


class InputGateSlopeAtZero(LSTM):
    def gate_derivatives(self, forget, cell_in, gate_in, gate_out):
        d_forget, d_cell, _, d_out = super().gate_derivatives(forget, cell_in, gate_in, gate_out)
        return d_forget, d_cell, np.full_like(gate_in, 0.25), d_out


class OutputGateLSTM(TimeLSTM):
    step = OutputGateSlopeAtZero


class InputGateLSTM(TimeLSTM):
    step = InputGateSlopeAtZero


class LstmLMOutputGateSlope(LstmLM):
    """The output gate's derivative taken as its slope at 0 (0.25) where o * (1 - o) belongs."""

    lstm = OutputGateLSTM


class LstmLMInputGateSlope(LstmLM):
    """The input gate's derivative taken as its slope at 0 (0.25) where i * (1 - i) belongs."""

    lstm = InputGateLSTM


class LstmLMVectorSizeOutputGateSlope(LstmLMVectorSize):
    """The output gate's slope at 0, in the model whose word vector size is spelled vector_size."""

    lstm = OutputGateLSTM

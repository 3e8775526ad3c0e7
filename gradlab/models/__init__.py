"""Whole models, in the four conventions courses teach, checked parameter by parameter.

- CS231n: `model.params` dict and `model.loss(X, y) -> (loss, grads)`;
- the textbook ("Deep Learning from Scratch"): `net.params`, `net.loss(x, t)`, `net.gradient(x, t) -> grads`;
- Nielsen-style per-sample column networks: `net.weights` / `net.biases` lists and
  `net.backprop(x, y) -> (nabla_b, nabla_w)`, the cost its `cost_derivative` implies (quadratic) or
  its `cost` object's `fn`;
- the textbook's second volume: `forward(x, t)` returning the loss, `backward(dout=1)`, and `self.params` /
  `self.grads` lists gathered from its layers (`second_volume` finds them and feeds them word ids, contexts or
  sequences; `second_volume_float64` makes them compute in float64; `second_volume_parameters` reads their lists).
`discover` finds model classes in a file, `build` makes them small, `adapters` calls each convention (`nielsen`
the per-sample networks; `errors` what stops a call), `check` builds the cases and reports the first failing one,
`case_check` compares every parameter's gradient of one case with finite differences of the model's own loss;
the first wrong one in backprop order is localised (`report.ModelReport`); `hints` and `inner` name a wrong
gradient in the model's terms (its regularisation term, the layer it calls that fails alone, the array an
activation's derivative was given).
"""

"""Any function, at inputs the user chooses: a forward/backward pair of a kind gradlab does not know
(`check_backward`), scipy's `check_grad` as a drop-in, and the public numeric gradient.

Built on the core only (finite differences, the element-wise comparison and its diagnosis); whole
models (`gradlab.models`) judge their parameters with the same `judge`.
"""
